using Alkanet.Introspection.Hooks;
using Alkanet.Core.Records;
using Alkanet.Vmm.Gdb;
using Alkanet.Vmm.Tests.Gdb.Fakes;
using static Alkanet.Vmm.Tests.Gdb.GdbTestKit;

namespace Alkanet.Vmm.Tests.Gdb;

public sealed class GdbSyscallTracerTests
{
    private static FakeGdbTarget ScriptedRun(int calls)
    {
        var target = LinuxLikeTarget();
        // pt_regs: orig_ax (slot 15) = 39 (getpid), ax (slot 10) = 0x2a, di (slot 14) = 0x1234, cs (slot 17) = user.
        target.Memory.WriteUInt64(PtRegs + 15 * 8, 39);
        target.Memory.WriteUInt64(PtRegs + 10 * 8, 0x2a);
        target.Memory.WriteUInt64(PtRegs + 14 * 8, 0x1234);
        target.Memory.WriteUInt64(PtRegs + 17 * 8, 0x33);
        target.Memory.WriteUInt64(PtRegs + 20 * 8, 0x2b);
        for (var i = 0; i < calls; i++)
        {
            target.Script.Enqueue(new ScriptedHit(i % 2, At(EntrySite, rsi: 39)));
            target.Script.Enqueue(new ScriptedHit(i % 2, At(0xffffffff81000000))); // unhooked code: no stop
            target.Script.Enqueue(new ScriptedHit(i % 2, At(ExitSite)));
        }
        return target;
    }

    [Fact]
    public void A_whole_run_writes_gap_free_records_and_sends_no_write_but_the_verified_rip_steps()
    {
        var target = ScriptedRun(25);
        using var server = new FakeRspServer(target);
        var (client, sent) = Connect(server);
        using var _c = client;
        var sink = new ListSink();
        var decoder = new LinuxTestOs(EntrySite, ExitSite);
        var summary = new GdbSyscallTracer(client, decoder, sink).Run();

        summary.End.ShouldBe(GdbTraceEnd.TargetExited);
        summary.Hits.ShouldBe(50);
        summary.Records.ShouldBe(50);
        sink.Records.Select(r => r.No).ShouldBe(Enumerable.Range(1, 50).Select(i => (long)i));
        sink.Records.Where(r => r.IsEnter).ShouldAllBe(r => r.SysNo == 39 && r.Args[0] == 0x1234 && r.Name == "unknown_39");
        sink.Records.Where(r => r.IsExit).ShouldAllBe(r => r.SysNo == 39 && r.RetVal == 0x2a);
        sink.Records.Select(r => r.CpuId).Distinct().Order().ShouldBe([0, 1]);
        sink.Records.ShouldAllBe(r => r.Cr3 == 0x5000 && r.TimestampNs > 0);
        sink.Flushes.ShouldBeGreaterThan(0);

        // The audit: every packet the client sent, and every packet the stub received.
        summary.RipSteps.ShouldBe(25);
        summary.SingleSteps.ShouldBe(25);
        var writes = sent.Where(IsWritePacket).ToList();
        writes.Count.ShouldBe(25);
        writes.ShouldAllBe(p => p == "P10=25330081ffffffff");
        server.Received.Where(IsWritePacket).ShouldBe(writes);
        // Each RIP step came right after a read of the 5 bytes at the site, on the same vCPU.
        for (var i = 0; i < sent.Count; i++)
            if (sent[i].StartsWith('P')) sent[i - 1].ShouldBe($"m{EntrySite:x},5");
        client.Connection.Guard.AllowedRegisterWrites.ShouldBe(25);
        client.Connection.Guard.Refused.ShouldBe(0);
        // The stop reply selects the hitting vCPU: no 'Hg' round trip per hit.
        sent.ShouldNotContain(p => p.StartsWith("Hg", StringComparison.Ordinal));
    }

    [Fact]
    public void A_duration_ends_the_run_stops_the_vm_and_removes_the_breakpoints()
    {
        var target = ScriptedRun(3);
        target.ExitWhenScriptEnds = false;
        using var server = new FakeRspServer(target);
        var (client, sent) = Connect(server);
        using var _c = client;
        var sink = new ListSink();
        var summary = new GdbSyscallTracer(client, new LinuxTestOs(EntrySite, ExitSite), sink,
            new GdbTracerOptions { Duration = TimeSpan.FromSeconds(3), PollInterval = TimeSpan.FromMilliseconds(20) }).Run();
        summary.End.ShouldBe(GdbTraceEnd.Duration, string.Join(" ", sent));
        summary.Records.ShouldBe(6, string.Join(" ", sent));
        client.IsRunning.ShouldBeFalse();
        server.Breakpoints.ShouldBeEmpty();
        client.Detach();
        server.Detached.ShouldBeTrue();
    }

    [Fact]
    public void Hit_limit_and_numbering_continue_from_a_given_no()
    {
        using var server = new FakeRspServer(ScriptedRun(10));
        var (client, _) = Connect(server);
        using var _c = client;
        var sink = new ListSink();
        var tracer = new GdbSyscallTracer(client, new LinuxTestOs(EntrySite, ExitSite), sink, new GdbTracerOptions { MaxHits = 7 }) { NextNo = 100 };
        var summary = tracer.Run();
        summary.End.ShouldBe(GdbTraceEnd.HitLimit);
        sink.Records.Select(r => r.No).ShouldBe(Enumerable.Range(100, 7).Select(i => (long)i));
        tracer.NextNo.ShouldBe(107);
    }

    [Fact]
    public void A_hostile_pt_regs_pointer_is_logged_as_unreadable_not_a_crash()
    {
        var target = LinuxLikeTarget();
        target.Script.Enqueue(new ScriptedHit(0, At(EntrySite, rsi: 1, rdi: 0xdead_beef_0000_0000)));
        using var server = new FakeRspServer(target);
        var (client, _) = Connect(server);
        using var _c = client;
        var sink = new ListSink();
        var decoder = new LinuxTestOs(EntrySite, ExitSite);
        new GdbSyscallTracer(client, decoder, sink).Run().Records.ShouldBe(1);
        decoder.Unreadable.ShouldBe(1);
        sink.Records[0].AdditionalInfo.TryGet("pt_regs", out var v).ShouldBeTrue();
        v.Text.ShouldBe("unreadable");
        sink.Records[0].LogType.ShouldBe(LogType.Enter);
    }

    [Fact]
    public void A_stub_that_dies_mid_run_surfaces_a_connection_error_and_the_sink_is_flushed()
    {
        using var server = new FakeRspServer(ScriptedRun(5), new FakeRspFaults { DisconnectMidReplyOn = "g" });
        var (client, _) = Connect(server);
        using var _c = client;
        var sink = new ListSink();
        Should.Throw<GdbConnectionException>(() => new GdbSyscallTracer(client, new LinuxTestOs(EntrySite, ExitSite), sink).Run());
        sink.Flushes.ShouldBe(1);
    }
}
