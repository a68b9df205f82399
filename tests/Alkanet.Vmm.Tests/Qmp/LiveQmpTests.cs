using Alkanet.Vmm.Qmp;
using Alkanet.Vmm.Tests.Gdb.Live;

namespace Alkanet.Vmm.Tests.Qmp;

[Trait("Category", "Live")]
public sealed class LiveQmpTests
{
    [Fact]
    public void Qmp_on_real_qemu_queries_stops_resumes_with_events_and_quits()
    {
        GdbstubGuest.SkipUnlessAvailable();
        string marker;
        using (var guest = GdbstubGuest.Start())
        {
            marker = guest.Marker;
            using var qmp = QmpClient.Connect("unix:" + guest.QmpPath);
            qmp.QemuVersion.ShouldStartWith("10.");
            qmp.Status().ShouldBe("running");
            qmp.Stop();
            qmp.WaitForEvent("STOP", TimeSpan.FromSeconds(10)).ShouldNotBeNull();
            qmp.Status().ShouldBe("paused");
            qmp.HumanMonitorCommand("info registers").ShouldContain("IDT=");
            qmp.Continue();
            qmp.WaitForEvent("RESUME", TimeSpan.FromSeconds(10)).ShouldNotBeNull();
            qmp.Quit();
            qmp.WaitForEvent("SHUTDOWN", TimeSpan.FromSeconds(10));
            SpinWait.SpinUntil(() => guest.HasExited, TimeSpan.FromSeconds(20)).ShouldBeTrue();
        }
        GdbstubGuest.Survivors(marker).ShouldBeEmpty();
    }
}
