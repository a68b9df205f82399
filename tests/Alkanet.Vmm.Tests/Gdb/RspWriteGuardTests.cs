using Alkanet.Vmm.Gdb;
using Alkanet.Vmm.Tests.Gdb.Fakes;
using static Alkanet.Vmm.Tests.Gdb.GdbTestKit;

namespace Alkanet.Vmm.Tests.Gdb;

public sealed class RspWriteGuardTests
{
    [Theory]
    [InlineData("M1000,4:00000000")]
    [InlineData("X1000,1:\u0001")]
    [InlineData("G0000")]
    [InlineData("P10=0000000000000000")]
    [InlineData("Z0,ffffffff81003320,1")]
    [InlineData("c ffffffff81003320")]
    [InlineData("cffffffff81003320")]
    [InlineData("sffffffff81003320")]
    [InlineData("C05")]
    [InlineData("vCont;C05")]
    [InlineData("vCont;r1000,2000")]
    [InlineData("k")]
    [InlineData("R00")]
    [InlineData("QStartNoAckMode")]
    [InlineData("vFile:pwrite:1,0,00")]
    [InlineData("qRcmd,73797374656d5f7265736574")] // system_reset
    [InlineData("qRcmd,696e666f3b73797374656d5f7265736574")] // "info;system_reset"
    public void Packets_that_write_or_change_the_guest_are_refused(string payload)
    {
        RspWriteGuard.WhyRefused(payload).ShouldNotBeNull(payload);
        var guard = new RspWriteGuard();
        Should.Throw<GdbWriteRefusedException>(() => guard.Check(payload)).Message.ShouldContain("refused packet");
        guard.Refused.ShouldBe(1);
    }

    [Theory]
    [InlineData("?")]
    [InlineData("g")]
    [InlineData("p10")]
    [InlineData("mffffffff81003320,5")]
    [InlineData("Hgp1.2")]
    [InlineData("Z1,ffffffff81003320,1")]
    [InlineData("z1,ffffffff81003320,1")]
    [InlineData("vCont;c")]
    [InlineData("vCont;s:p1.2")]
    [InlineData("c")]
    [InlineData("D;1")]
    [InlineData("qSupported:multiprocess+")]
    [InlineData("qXfer:features:read:target.xml:0,ffb")]
    [InlineData("qfThreadInfo")]
    [InlineData("qRcmd,696e666f2072656769737465727320")] // "info registers "
    public void Reads_and_execution_control_pass(string payload) => RspWriteGuard.WhyRefused(payload).ShouldBeNull();

    [Fact]
    public void A_refused_packet_never_reaches_the_stub()
    {
        using var server = new FakeRspServer(LinuxLikeTarget());
        var (client, sent) = Connect(server);
        using var _c = client;
        Should.Throw<GdbWriteRefusedException>(() => client.Request("M" + EntrySite.ToString("x") + ",1:cc"));
        Should.Throw<GdbWriteRefusedException>(() => client.MonitorCommand("system_reset"));
        client.ListThreads(); // the connection is still in step
        server.Received.ShouldNotContain(p => p.StartsWith('M') || p.StartsWith("qRcmd", StringComparison.Ordinal));
        sent.ShouldNotContain(p => p.StartsWith('M'));
    }

    [Fact]
    public void An_armed_rip_step_allows_exactly_one_identical_payload()
    {
        var guard = new RspWriteGuard();
        guard.ArmRipWrite("P10=25330081ffffffff");
        Should.Throw<GdbWriteRefusedException>(() => guard.Check("P10=0000000000000000"));
        guard.Check("P10=25330081ffffffff");
        Should.Throw<GdbWriteRefusedException>(() => guard.Check("P10=25330081ffffffff"));
        guard.AllowedRegisterWrites.ShouldBe(1);
    }
}
