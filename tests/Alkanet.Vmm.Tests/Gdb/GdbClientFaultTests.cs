using System.Diagnostics;
using Alkanet.Vmm.Gdb;
using Alkanet.Vmm.Tests.Gdb.Fakes;
using static Alkanet.Vmm.Tests.Gdb.GdbTestKit;

namespace Alkanet.Vmm.Tests.Gdb;

/// <summary>A misbehaving stub gives clear errors, and never a hang: every wait has a deadline.</summary>
public sealed class GdbClientFaultTests
{
    [Fact]
    public void A_few_bad_checksums_are_naked_and_retransmitted()
    {
        using var server = new FakeRspServer(LinuxLikeTarget(), new FakeRspFaults { BadChecksumReplies = 2 });
        var (client, _) = Connect(server);
        using var _c = client;
        client.Layout.Find("rip").ShouldNotBeNull();
    }

    [Fact]
    public void Persistent_bad_checksums_fail_with_a_message_naming_the_reply()
    {
        using var server = new FakeRspServer(LinuxLikeTarget(), new FakeRspFaults { BadChecksumReplies = 100 });
        var ex = Should.Throw<GdbProtocolException>(() => Connect(server));
        ex.Message.ShouldContain("bad checksum on the reply to 'qSupported");
    }

    [Fact]
    public void Naked_packets_are_retransmitted()
    {
        using var server = new FakeRspServer(LinuxLikeTarget(), new FakeRspFaults { NakPackets = 2 });
        var (client, _) = Connect(server);
        using var _c = client;
        client.ListThreads().Count.ShouldBe(2);
    }

    [Fact]
    public void A_stub_that_disconnects_mid_reply_gives_a_connection_error()
    {
        using var server = new FakeRspServer(LinuxLikeTarget(), new FakeRspFaults { DisconnectMidReplyOn = "g" });
        var (client, _) = Connect(server);
        using var _c = client;
        var ex = Should.Throw<GdbConnectionException>(() => client.ReadRegisters(new GdbThreadId(1, 1)));
        ex.Message.ShouldContain("closed the connection");
        ex.Message.ShouldContain("reply to 'g'");
    }

    [Fact]
    public void A_silent_stub_times_out_instead_of_hanging()
    {
        using var server = new FakeRspServer(LinuxLikeTarget(), new FakeRspFaults { SilentOn = "m" });
        var (client, _) = Connect(server, TimeSpan.FromMilliseconds(300));
        using var _c = client;
        var clock = Stopwatch.StartNew();
        var ex = Should.Throw<GdbConnectionException>(() => client.ReadMemory(new GdbThreadId(1, 1), EntrySite, new byte[5]));
        ex.Message.ShouldContain("within 0.3 s");
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(20)); // a hang guard, not a timing assertion
    }

    [Fact]
    public void An_oversized_reply_is_refused()
    {
        using var server = new FakeRspServer(LinuxLikeTarget(), new FakeRspFaults { OversizedReplyOn = "g" });
        var (client, _) = Connect(server);
        using var _c = client;
        var ex = Should.Throw<GdbProtocolException>(() => client.ReadRegisters(new GdbThreadId(1, 1)));
        ex.Message.ShouldContain("longer than");
    }

    [Fact]
    public void Nobody_listening_is_a_clear_connection_error()
    {
        int port;
        using (var server = new FakeRspServer(LinuxLikeTarget())) port = server.Port;
        var ex = Should.Throw<GdbConnectionException>(() => GdbClient.Connect("127.0.0.1", port, new GdbClientOptions { Timeout = ShortTimeout }));
        ex.Message.ShouldContain($"127.0.0.1:{port}");
    }

    [Fact]
    public void A_step_that_reports_a_stop_without_leaving_the_site_is_stepped_again()
    {
        var target = LinuxLikeTarget();
        target.Script.Enqueue(new ScriptedHit(0, At(ExitSite)));
        using var server = new FakeRspServer(target, new FakeRspFaults { StepsThatStay = 2 });
        var (client, sent) = Connect(server);
        using var _c = client;
        client.SetHardwareBreakpoint(ExitSite);
        client.Continue();
        var thread = client.WaitForStop(ShortTimeout)!.Thread!.Value;

        client.StepOver(thread, ExitSite, client.ReadRegisters(thread).Rip).ShouldBe(StepOverMethod.SingleStepped);

        target.Cpus[0].Rip.ShouldBe(ExitSite + (ulong)target.StepLength);
        sent.Count(p => p.StartsWith("vCont;s:", StringComparison.Ordinal)).ShouldBe(3);
        client.Connection.Guard.AllowedRegisterWrites.ShouldBe(0);
    }

    [Fact]
    public void A_site_no_step_ever_leaves_is_a_clear_error_not_an_endless_loop()
    {
        var target = LinuxLikeTarget();
        target.Script.Enqueue(new ScriptedHit(0, At(ExitSite)));
        using var server = new FakeRspServer(target, new FakeRspFaults { StepsNeverMove = true });
        var (client, sent) = Connect(server);
        using var _c = client;
        client.SetHardwareBreakpoint(ExitSite);
        client.Continue();
        var thread = client.WaitForStop(ShortTimeout)!.Thread!.Value;

        var ex = Should.Throw<GdbProtocolException>(() => client.StepOver(thread, ExitSite, ExitSite));

        ex.Message.ShouldContain($"{GdbClient.MaxStepAttempts} single steps");
        ex.Message.ShouldContain($"0x{ExitSite:x}");
        sent.Count(p => p.StartsWith("vCont;s:", StringComparison.Ordinal)).ShouldBe(GdbClient.MaxStepAttempts);
    }
}
