using Alkanet.Introspection.Hooks;
using System.Globalization;
using Alkanet.Vmm.Gdb;
using static Alkanet.Vmm.Tests.Gdb.GdbTestKit;

namespace Alkanet.Vmm.Tests.Gdb.Live;

/// <summary>The breakpoint loop on a real QEMU: a whole traced run, audited packet by packet.</summary>
[Trait("Category", "Live")]
public sealed class LiveGdbTracerTests
{
    [Fact]
    public void A_traced_run_on_real_qemu_is_gap_free_decodes_the_loop_and_writes_nothing_but_verified_rip_steps()
    {
        GdbstubGuest.SkipUnlessAvailable();
        var hits = int.TryParse(Environment.GetEnvironmentVariable("ALKANET_GDB_BENCH_HITS"), out var h) ? h : 200;
        string marker;
        GdbTraceSummary summary;
        var sink = new ListSink();
        var sent = new List<string>();
        var workload = Environment.GetEnvironmentVariable("ALKANET_GDB_BENCH_WORKLOAD") is { Length: > 0 } w ? w : "cat /dev/zero > /dev/null";
        string roundTrips;
        using (var guest = GdbstubGuest.Start(workload))
        {
            marker = guest.Marker;
            var entry = guest.Kallsyms["x64_sys_call"];
            var exit = guest.Kallsyms["syscall_exit_to_user_mode_prepare"];
            using var client = GdbClient.Connect("127.0.0.1", guest.GdbPort, new GdbClientOptions { Timeout = TimeSpan.FromSeconds(10) });
            client.Connection.PacketSent += sent.Add;
            var decoder = new LinuxTestOs(entry, exit);
            summary = new GdbSyscallTracer(client, decoder, sink,
                new GdbTracerOptions { MaxHits = hits, Duration = TimeSpan.FromMinutes(3) }).Run();
            roundTrips = MeasureRoundTrips(client, entry);
            client.Detach();
            client.Connection.Guard.Refused.ShouldBe(0);
            decoder.Unreadable.ShouldBe(0);

            // Every write the client sent is a RIP step to a site + 5, right after the 5-byte check of that site.
            var allowed = new HashSet<string>(new[] { entry, exit }.Select(site =>
                $"P{client.Layout.Find("rip")!.Number:x}={Alkanet.Vmm.Gdb.RspCodec.ToTargetOrderHex(site + 5, 8)}"));
            for (var i = 0; i < sent.Count; i++)
            {
                if (!IsWritePacket(sent[i])) continue;
                allowed.ShouldContain(sent[i]);
                sent[i - 1].ShouldBe($"m{ulong.Parse(sent[i].Split('=')[1][..16] is var le ? ReverseHex(le) : "", NumberStyles.HexNumber, CultureInfo.InvariantCulture) - 5:x},5");
            }
            sent.Count(IsWritePacket).ShouldBe((int)summary.RipSteps);
        }
        GdbstubGuest.Survivors(marker).ShouldBeEmpty();

        summary.End.ShouldBe(GdbTraceEnd.HitLimit);
        summary.Hits.ShouldBe(hits);
        sink.Records.Select(r => r.No).ShouldBe(Enumerable.Range(1, hits).Select(i => (long)i));
        sink.Records.ShouldContain(r => r.IsEnter);
        sink.Records.ShouldContain(r => r.IsExit);
        // The default workload is `cat /dev/zero > /dev/null`: once in its loop, only reads (0) and writes (1). Under load
        // the trace may attach while cat is still starting (execve, mmap, openat: ~40 hits of 200 were seen), so the
        // loop is judged from the first read on.
        if (workload.StartsWith("cat /dev/zero", StringComparison.Ordinal))
        {
            var loop = sink.Records.SkipWhile(r => !(r.IsEnter && r.SysNo == 0)).ToList();
            loop.Count.ShouldBeGreaterThan(hits / 2);
            loop.Count(r => r.SysNo <= 1).ShouldBeGreaterThan(loop.Count * 9 / 10);
        }
        // An EXIT names the call its ENTER made (same vCPU, next hit on it): true while one task runs that never blocks.
        if (workload.StartsWith("cat /dev/zero", StringComparison.Ordinal)) foreach (var cpu in sink.Records.GroupBy(r => r.CpuId))
        {
            var list = cpu.ToList();
            for (var i = 1; i < list.Count; i++)
                if (list[i].IsExit && list[i - 1].IsEnter) list[i].SysNo.ShouldBe(list[i - 1].SysNo);
        }

        var report = string.Create(CultureInfo.InvariantCulture,
            $"gdbstub hook: {summary.Hits} hits in {summary.Elapsed.TotalSeconds:0.00} s = {summary.HitsPerSecond:0} hits/s; " +
            $"{summary.RoundTripsPerHit:0.00} packets/hit; host handling {summary.HandlingPerHit.TotalMicroseconds:0} us/hit; " +
            $"RIP steps {summary.RipSteps}, single steps {summary.SingleSteps}; {roundTrips}; workload: {workload}");
        TestContext.Current.SendDiagnosticMessage(report);
        if (Environment.GetEnvironmentVariable("ALKANET_GDB_BENCH_OUT") is { Length: > 0 } path) File.AppendAllText(path, report + "\n");
    }

    /// <summary>Median round trip of a 5-byte 'm', a 'g', and a 2 KiB 'm' on the stopped VM.</summary>
    private static string MeasureRoundTrips(GdbClient client, ulong site)
    {
        var thread = client.ListThreads()[0];
        var small = new byte[5];
        var page = new byte[2048];
        double Median(Action a)
        {
            var times = new List<double>();
            for (var i = 0; i < 101; i++)
            {
                var t = System.Diagnostics.Stopwatch.GetTimestamp();
                a();
                times.Add(System.Diagnostics.Stopwatch.GetElapsedTime(t).TotalMicroseconds);
            }
            times.Sort();
            return times[50];
        }
        var m5 = Median(() => client.ReadMemory(thread, site, small));
        var g = Median(() => client.ReadRegisters(thread));
        var m2k = Median(() => client.ReadMemory(thread, site & ~0xfffUL, page));
        return string.Create(CultureInfo.InvariantCulture, $"round trip (median of 101): m 5 B {m5:0} us, g {g:0} us, m 2 KiB {m2k:0} us");
    }

    private static string ReverseHex(string le) =>
        string.Concat(Enumerable.Range(0, le.Length / 2).Reverse().Select(i => le.Substring(i * 2, 2)));
}
