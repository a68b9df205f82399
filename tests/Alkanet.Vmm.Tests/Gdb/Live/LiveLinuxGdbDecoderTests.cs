using Alkanet.Vmm.Guest;
using Alkanet.Introspection.Hooks;
using System.Globalization;
using Alkanet.Introspection.Linux;
using Alkanet.Vmm.Gdb;
using static Alkanet.Vmm.Tests.Gdb.GdbTestKit;

namespace Alkanet.Vmm.Tests.Gdb.Live;

/// <summary>The real Linux decoder on a real QEMU (Debian's kernel, KASLR on): every hit decoded with the cached
/// profile, the slide found over the wire. Also the figure of bench/gdbstub-linux.sh (env ALKANET_GDB_BENCH_*).</summary>
[Trait("Category", "Live")]
public sealed class LiveLinuxGdbDecoderTests
{
    [Fact]
    public void The_linux_profile_decodes_a_real_kaslr_guest_with_pids_names_and_pairs()
    {
        GdbstubGuest.SkipUnlessAvailable();
        LinuxProfile profile;
        try { profile = LinuxProfileSource.Resolve(null, null, null, AlkanetPaths.LinuxGuest()).Profile; }
        catch (InvalidOperationException ex)
        {
            if (Environment.GetEnvironmentVariable("CI") == "true") Assert.Fail(ex.Message);
            Assert.Skip(ex.Message);
            throw;
        }
        var hits = int.TryParse(Environment.GetEnvironmentVariable("ALKANET_GDB_BENCH_HITS"), out var h) ? h : 200;
        var workload = Environment.GetEnvironmentVariable("ALKANET_GDB_BENCH_WORKLOAD") is { Length: > 0 } w ? w : "cat /dev/zero > /dev/null";
        var sink = new ListSink();
        var sent = new List<string>();
        GdbTraceSummary summary;
        LinuxOs decoder;
        string marker;
        using (var guest = GdbstubGuest.Start(workload, kaslr: true))
        {
            marker = guest.Marker;
            using var client = GdbClient.Connect("127.0.0.1", guest.GdbPort, new GdbClientOptions { Timeout = TimeSpan.FromSeconds(10) });
            client.Connection.PacketSent += sent.Add;
            decoder = new LinuxOs(profile, "cached");
            var found = GdbAttach.Discover(client, decoder);
            decoder.Slide.ShouldBe(guest.Kallsyms["x64_sys_call"] - profile.Site(SiteKind.Enter).LinkAddress);
            found.Sites[0].Address.ShouldBe(guest.Kallsyms["x64_sys_call"]);
            found.Sites.Single(s => s.Kind == SiteKind.Exit).Address.ShouldBe(guest.Kallsyms["syscall_exit_to_user_mode_prepare"]);
            var before = sent.Count;
            summary = new GdbSyscallTracer(client, decoder, sink, new GdbTracerOptions { MaxHits = hits, Duration = TimeSpan.FromMinutes(3) }).Run();
            var memoryReads = sent.Skip(before).Count(p => p.StartsWith('m'));
            client.Detach();
            client.Connection.Guard.Refused.ShouldBe(0);
            sent.Count(IsWritePacket).ShouldBe((int)summary.RipSteps);
            sent.Where(IsWritePacket).ShouldAllBe(p => p.StartsWith("P10=", StringComparison.Ordinal));

            var report = string.Create(CultureInfo.InvariantCulture,
                $"gdbstub hook, linux decoder: {summary.Hits} hits in {summary.Elapsed.TotalSeconds:0.00} s = {summary.HitsPerSecond:0} hits/s; " +
                $"{summary.RoundTripsPerHit:0.00} packets/hit ({(double)memoryReads / summary.Hits:0.00} 'm' per hit incl. the NOP check); " +
                $"host handling {summary.HandlingPerHit.TotalMicroseconds:0} us/hit; RIP steps {summary.RipSteps}, single steps {summary.SingleSteps}; " +
                $"slide 0x{decoder.Slide:x}; workload: {workload}");
            TestContext.Current.SendDiagnosticMessage(report);
            if (Environment.GetEnvironmentVariable("ALKANET_GDB_BENCH_OUT") is { Length: > 0 } path) File.AppendAllText(path, report + "\n");
        }
        GdbstubGuest.Survivors(marker).ShouldBeEmpty();

        summary.Hits.ShouldBe(hits);
        sink.Records.Select(r => r.No).ShouldBe(Enumerable.Range(1, hits).Select(i => (long)i));
        sink.Records.ShouldAllBe(r => r.Pid > 0 && r.ProcName.Length > 0);
        if (workload.StartsWith("cat /dev/zero", StringComparison.Ordinal))
        {
            // one task: cat, reading /dev/zero and writing /dev/null; every EXIT after the first round pairs with its ENTER
            // Under load the trace may attach while cat is still starting (mmap, openat, a sendfile attempt):
            // judge its steady loop, from its first read on.
            var all = sink.Records.Where(r => r.ProcName == "cat").ToList();
            all.Count.ShouldBeGreaterThan(hits * 3 / 4);
            var cat = all.SkipWhile(r => !(r.IsEnter && r.Name == "read")).ToList();
            cat.Count.ShouldBeGreaterThan(hits / 2);
            cat.Where(r => r.IsEnter).Select(r => r.Name).Distinct().Order().ShouldBe(["read", "write"]);
            cat.Where(r => r.IsEnter && r.Name == "write").ShouldAllBe(r => r.AdditionalInfo["fd_path"] == "/dev/null");
            cat.Where(r => r.IsEnter && r.Name == "read").ShouldAllBe(r => r.AdditionalInfo["fd_path"] == "/dev/zero");
            cat.Where(r => r.IsExit).Skip(2).ShouldAllBe(r => r.AdditionalInfo["unpaired"] == null);
            cat.Select(r => r.Pid).Distinct().Count().ShouldBe(1);
        }
    }
}
