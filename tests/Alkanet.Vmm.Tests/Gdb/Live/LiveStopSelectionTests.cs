using Alkanet.Vmm.Gdb;

namespace Alkanet.Vmm.Tests.Gdb.Live;

/// <summary>
/// The client skips 'Hg' after a stop because QEMU makes the stopping vCPU the one 'g', 'p' and 'm' act on
/// (gdb_set_stop_cpu). This test keeps that assumption honest on the installed QEMU: with two busy vCPUs, a 'g'
/// sent with no 'Hg' after each stop must return exactly the registers of the vCPU the stop reply named.
/// </summary>
[Trait("Category", "Live")]
public sealed class LiveStopSelectionTests
{
    [Fact]
    public void After_a_stop_g_reads_the_vcpu_the_stop_reply_named()
    {
        GdbstubGuest.SkipUnlessAvailable();
        string marker;
        using (var guest = GdbstubGuest.Start("cat /dev/zero > /dev/null & cat /dev/zero > /dev/null"))
        {
            marker = guest.Marker;
            var entry = guest.Kallsyms["x64_sys_call"];
            using var client = GdbClient.Connect("127.0.0.1", guest.GdbPort, new GdbClientOptions { Timeout = TimeSpan.FromSeconds(10) });
            client.SetHardwareBreakpoint(entry);
            var cpus = new List<int>();
            for (var i = 0; i < 60; i++)
            {
                client.Continue();
                var thread = client.WaitForStop(TimeSpan.FromSeconds(30))!.Thread!.Value;
                var unselected = client.Request("g"); // no Hg since the stop
                var selected = client.ReadRegisters(thread);
                var layout = client.Layout;
                var bytes = Convert.FromHexString(unselected);
                GdbClient.MapRegisters(layout, bytes, thread.CpuIndex).ShouldBe(selected);
                selected.Rip.ShouldBe(entry);
                cpus.Add(thread.CpuIndex);
                client.StepOver(thread, entry, selected.Rip);
            }
            client.Detach();
            // Both vCPUs hit, and the hitting vCPU changed between stops at least once.
            cpus.Distinct().Count().ShouldBe(2);
            cpus.Zip(cpus.Skip(1)).Count(p => p.First != p.Second).ShouldBeGreaterThan(0);
        }
        GdbstubGuest.Survivors(marker).ShouldBeEmpty();
    }
}
