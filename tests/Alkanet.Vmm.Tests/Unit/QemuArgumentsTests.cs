using Alkanet.Vmm.Qemu;

namespace Alkanet.Vmm.Tests.Unit;

/// <summary>The QEMU command line of a disk-image boot (alkanet run --image) next to the analysis guest's.</summary>
public sealed class QemuArgumentsTests
{
    [Fact]
    public void A_disk_boot_has_drives_a_cpu_model_and_no_kernel()
    {
        var a = QemuMachine.Arguments(new QemuLaunch
        {
            ConsoleLog = "/tmp/c.log", Drives = ["file=/d/w.img,format=raw,if=ide,index=0,media=disk,snapshot=on", "file=fat:/s,format=raw,if=ide,index=1,media=disk,snapshot=on"],
            CpuModel = "max", Network = true, NicModel = "e1000e", MemoryMiB = 4096, Cpus = 2,
        }).ToList();
        a.ShouldNotContain("-kernel");
        a.ShouldNotContain("-initrd");
        a.ShouldNotContain("-append");
        a[a.IndexOf("-cpu") + 1].ShouldBe("max");
        a[a.IndexOf("-m") + 1].ShouldBe("4096");
        a[a.IndexOf("-netdev") + 1].ShouldBe("user,id=net0,restrict=on");
        a[a.IndexOf("-device") + 1].ShouldBe("e1000e,netdev=net0");
        var drives = a.Select((v, i) => (v, i)).Where(x => x.v == "-drive").Select(x => a[x.i + 1]).ToList();
        drives.ShouldBe(["file=/d/w.img,format=raw,if=ide,index=0,media=disk,snapshot=on", "file=fat:/s,format=raw,if=ide,index=1,media=disk,snapshot=on"]);
        a.ShouldContain("-no-reboot");
    }

    [Fact]
    public void The_analysis_guest_boot_is_unchanged()
    {
        var a = QemuMachine.Arguments(new QemuLaunch { Kernel = "/k", Initrd = "/i", CommandLine = "console=ttyS0", ConsoleLog = "/tmp/c.log" }).ToList();
        a[a.IndexOf("-kernel") + 1].ShouldBe("/k");
        a[a.IndexOf("-initrd") + 1].ShouldBe("/i");
        a[a.IndexOf("-append") + 1].ShouldBe("console=ttyS0");
        a.ShouldNotContain("-cpu");
        a.ShouldNotContain("-drive");
        a[a.IndexOf("-nic") + 1].ShouldBe("none");
    }
}
