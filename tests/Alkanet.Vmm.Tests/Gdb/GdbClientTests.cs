using Alkanet.Introspection.Cpu;
using Alkanet.Vmm.Gdb;
using Alkanet.Vmm.Tests.Gdb.Fakes;
using static Alkanet.Vmm.Tests.Gdb.GdbTestKit;

namespace Alkanet.Vmm.Tests.Gdb;

public sealed class GdbClientTests
{
    [Fact]
    public void Handshake_reads_features_the_whole_target_description_and_the_attach_stop()
    {
        using var server = new FakeRspServer(LinuxLikeTarget());
        var (client, _) = Connect(server);
        using var _c = client;
        client.PacketSize.ShouldBe(0x1000);
        client.Multiprocess.ShouldBeTrue();
        client.VContSupported.ShouldBeTrue();
        client.Layout.Architecture.ShouldBe("i386:x86-64");
        client.Layout.Find("rip")!.Offset.ShouldBe(16 * 8);
        client.Layout.Find("eflags")!.Offset.ShouldBe(17 * 8);
        client.Layout.Find("cs")!.Offset.ShouldBe(17 * 8 + 4);
        client.Layout.Find("cr3")!.Offset.ShouldBe(17 * 8 + 4 + 6 * 4 + 3 * 8 + 2 * 8);
        client.LastStop!.Thread.ShouldBe(new GdbThreadId(1, 1));
        // The fake hands out target description pieces of 100 bytes: the client asked for the continuation.
        server.Received.Count(p => p.StartsWith("qXfer:features:read:i386-64bit.xml:", StringComparison.Ordinal)).ShouldBeGreaterThan(3);
        client.ListThreads().ShouldBe([new GdbThreadId(1, 1), new GdbThreadId(1, 2)]);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void Registers_map_by_the_layout_the_stub_describes(bool shuffled, bool runLength)
    {
        var target = LinuxLikeTarget();
        target.Cpus[1] = new VcpuState
        {
            Rax = 0x1111, Rbx = 0, Rsi = 0x27, Rdi = PtRegs, R15 = 0xf15f15, Rip = EntrySite, Rflags = 0x246, Cs = 0x10,
            Cr0 = 0x80050033, Cr3 = 0x2a3e000, Cr4 = 0x3506f0, Efer = 0xd01, GsBase = 0xffff88800fd00000, KernelGsBase = 0x7f00,
        };
        using var server = new FakeRspServer(target, new FakeRspFaults { ShuffledLayout = shuffled, RunLengthEncodeRegisters = runLength });
        var (client, sent) = Connect(server);
        using var _c = client;
        if (shuffled) client.Layout.Find("rip")!.Offset.ShouldBe(0);
        var s = client.ReadRegisters(new GdbThreadId(1, 2));
        sent.ShouldContain("Hgp1.2");
        s.CpuIndex.ShouldBe(1);
        s.Rax.ShouldBe(0x1111UL);
        s.Rsi.ShouldBe(0x27UL);
        s.Rdi.ShouldBe(PtRegs);
        s.R15.ShouldBe(0xf15f15UL);
        s.Rip.ShouldBe(EntrySite);
        s.Rflags.ShouldBe(0x246UL);
        s.Cpl.ShouldBe(0);
        s.Cr3.ShouldBe(0x2a3e000UL);
        s.Efer.ShouldBe(0xd01UL);
        s.GsBase.ShouldBe(0xffff88800fd00000UL);
        s.KernelGsBase.ShouldBe(0x7f00UL);
        s.Known.ShouldBe(KnownRegisters.General | KnownRegisters.Segments | KnownRegisters.Control);
    }

    [Fact]
    public void Memory_reads_go_in_packets_of_at_most_2_KiB_within_a_page_and_stop_at_an_unmapped_page()
    {
        var target = LinuxLikeTarget();
        var data = Enumerable.Range(0, 6000).Select(i => (byte)(i * 7)).ToArray();
        target.Memory.Write(0x10000, data); // 6000 bytes: pages 0x10000 and 0x11000 mapped, 0x12000 not
        using var server = new FakeRspServer(target);
        var (client, sent) = Connect(server);
        using var _c = client;
        var memory = client.MemoryOf(new GdbThreadId(1, 1));
        var buffer = new byte[8192];
        var n = memory.Read(0x10800, buffer);
        n.ShouldBe(0x2000 - 0x800); // through the end of the last mapped page, exactly
        buffer.AsSpan(0, 6000 - 0x800).ToArray().ShouldBe(data[0x800..]);
        var reads = sent.Where(p => p[0] == 'm').ToList();
        reads.ShouldAllBe(p => Convert.ToInt32(p.Split(',')[1], 16) <= 2048);
        reads.ShouldContain("m10800,800"); // up to the page end, not across it
        memory.Read(0x20000, buffer.AsSpan(0, 16)).ShouldBe(0);
        memory.Read(0xffffffffffffff00, buffer.AsSpan(0, 512)).ShouldBe(0); // wraps: stops, never throws
    }

    [Fact]
    public void A_vcpu_resumed_on_its_breakpoint_hits_it_again_and_stepping_over_the_verified_nop_moves_it_on()
    {
        var target = LinuxLikeTarget();
        target.Script.Enqueue(new ScriptedHit(1, At(EntrySite, rsi: 39)));
        target.Script.Enqueue(new ScriptedHit(0, At(ExitSite)));
        using var server = new FakeRspServer(target);
        var (client, sent) = Connect(server);
        using var _c = client;
        client.SetHardwareBreakpoint(EntrySite);
        client.SetHardwareBreakpoint(ExitSite);
        server.Breakpoints.ShouldBe([EntrySite, ExitSite], ignoreOrder: true);

        client.Continue();
        var stop = client.WaitForStop(ShortTimeout)!;
        stop.Raw.ShouldBe("T05thread:p01.02;");
        var thread = stop.Thread!.Value;
        thread.CpuIndex.ShouldBe(1);
        client.Continue(); // not stepped: TCG re-hits the same breakpoint
        client.WaitForStop(ShortTimeout)!.Thread.ShouldBe(thread);

        var regs = client.ReadRegisters(thread);
        client.StepOver(thread, EntrySite, regs.Rip).ShouldBe(StepOverMethod.RipAdvanced);
        target.Cpus[1].Rip.ShouldBe(EntrySite + 5);
        sent.ShouldContain("P10=25330081ffffffff");
        client.Connection.Guard.AllowedRegisterWrites.ShouldBe(1);

        client.Continue();
        var exit = client.WaitForStop(ShortTimeout)!;
        exit.Thread!.Value.CpuIndex.ShouldBe(0);
        var exitRegs = client.ReadRegisters(exit.Thread.Value);
        // No NOP at the exit site: only that vCPU is single-stepped, nothing is written.
        client.StepOver(exit.Thread.Value, ExitSite, exitRegs.Rip).ShouldBe(StepOverMethod.SingleStepped);
        sent.ShouldContain("vCont;s:p1.1");
        client.Connection.Guard.AllowedRegisterWrites.ShouldBe(1);

        client.Continue();
        client.WaitForStop(ShortTimeout)!.Kind.ShouldBe(GdbStopKind.Exited);
    }

    [Fact]
    public void The_rip_step_is_refused_when_rip_is_not_at_the_site_or_the_bytes_are_not_the_nop()
    {
        var target = LinuxLikeTarget();
        using var server = new FakeRspServer(target);
        var (client, sent) = Connect(server);
        using var _c = client;
        var t = new GdbThreadId(1, 1);
        client.StepOverVerifiedNop(t, EntrySite, EntrySite + 1).ShouldBeFalse();
        client.StepOverVerifiedNop(t, ExitSite, ExitSite).ShouldBeFalse();
        target.Memory.Write(EntrySite, [0xe8, 0x00, 0x00, 0x00, 0x00]); // ftrace turned the NOP into a call
        client.StepOverVerifiedNop(t, EntrySite, EntrySite).ShouldBeFalse();
        sent.ShouldNotContain(p => p.StartsWith('P'));
        server.Received.ShouldNotContain(p => p.StartsWith('P'));
    }

    [Fact]
    public void Monitor_command_output_is_collected_from_hex_chunks()
    {
        using var server = new FakeRspServer(LinuxLikeTarget());
        var (client, _) = Connect(server);
        using var _c = client;
        var text = client.MonitorCommand("info registers");
        text.ShouldContain("you asked: info registers");
        text.ShouldContain("IDT=     fffffe0000000000");
        client.ReadIdtBase().ShouldBe(0xfffffe0000000000UL);
    }

    [Fact]
    public void Interrupt_stops_a_running_target_and_detach_sends_D_with_the_process()
    {
        var target = LinuxLikeTarget();
        target.ExitWhenScriptEnds = false;
        using var server = new FakeRspServer(target);
        var (client, sent) = Connect(server);
        using var _c = client;
        client.Continue();
        client.WaitForStop(TimeSpan.FromMilliseconds(100)).ShouldBeNull();
        client.IsRunning.ShouldBeTrue();
        Should.Throw<InvalidOperationException>(() => client.Request("g"));
        client.Interrupt().Signal.ShouldBe(GdbStopReply.SigInt);
        client.Detach();
        sent[^1].ShouldBe("D;1");
        server.Detached.ShouldBeTrue();
    }
}
