using Alkanet.Vmm.Guest;
using Alkanet.Vmm.Live;
using Alkanet.Vmm.Qemu;

namespace Alkanet.Vmm.Tests.Unit;

/// <summary>The two launch builders of a traced run, staged into a scratch folder: the QEMU command line each gives
/// (with the run's common parts) and the files each writes for one run. Nothing boots.</summary>
public sealed class LaunchBuilderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alkanet-launch-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Work => Directory.CreateDirectory(Path.Combine(_dir, "work")).FullName;

    private static List<string> Values(List<string> args, string option) =>
        args.Select((v, i) => (v, i)).Where(x => x.v == option).Select(x => args[x.i + 1]).ToList();

    private static List<string> Arguments(RunLaunch.Staged staged, TracedRunOptions o, string? plugin) =>
        QemuMachine.Arguments(TracedRun.Launch(staged, o, plugin, "/dev/shm/alkanet-test.ring")).ToList();

    private TracedRunOptions Options(RunLaunch launch) => new() { Launch = launch, OutDirectory = Path.Combine(_dir, "out") };

    [Fact]
    public void A_traced_run_shares_guest_RAM_with_the_plugin_through_one_file()
    {
        var guest = new AnalysisGuest { Directory = Path.Combine(_dir, "guest") };
        var launch = new AnalysisGuestLaunch { SampleName = "s", Sample = "#!/bin/sh\n"u8.ToArray(), Guest = guest };
        var o = Options(launch);
        var staged = launch.Stage(Work, "/tmp/c.log", o, null);
        var a = QemuMachine.Arguments(TracedRun.Launch(staged, o, "/p/lib.so", "/dev/shm/r.ring", null, "/dev/shm/g.ram")).ToList();
        Values(a, "-object").ShouldContain("memory-backend-file,id=ram,size=512M,mem-path=/dev/shm/g.ram,share=on");
        Values(a, "-plugin").Single().Split(',').ShouldContain("ram=/dev/shm/g.ram");
        var untraced = QemuMachine.Arguments(TracedRun.Launch(staged, o, null, "/dev/shm/r.ring")).ToList();
        untraced.ShouldNotContain("-plugin");
        Values(untraced, "-object").ShouldBeEmpty();
    }

    [Fact]
    public void The_analysis_guest_boots_its_kernel_with_the_sample_in_the_initramfs()
    {
        var guest = new AnalysisGuest { Directory = Path.Combine(_dir, "guest") };
        var sample = "#!/bin/sh\necho alkanet-launch-test-sample\n"u8.ToArray();
        var launch = new AnalysisGuestLaunch { SampleName = "s", Sample = sample, Guest = guest };
        var o = Options(launch) with { Cpus = 3, AllArgs = true, PluginExtra = ",stage=hit" };
        var staged = launch.Stage(Work, "/tmp/c.log", o, null);
        var a = Arguments(staged, o, "/p/libalkanet.so");
        a[a.IndexOf("-kernel") + 1].ShouldBe(guest.Vmlinux); // PVH: the ELF itself
        a[a.IndexOf("-append") + 1].ShouldBe(AnalysisGuest.CommandLine("run"));
        var initrd = a[a.IndexOf("-initrd") + 1];
        initrd.ShouldStartWith(Work);
        File.ReadAllBytes(initrd).AsSpan().IndexOf(sample).ShouldBeGreaterThan(0);
        a[a.IndexOf("-smp") + 1].ShouldBe("3");
        a[a.IndexOf("-m") + 1].ShouldBe("512");
        a[a.IndexOf("-nic") + 1].ShouldBe("none");
        a.ShouldNotContain("-drive");
        a.ShouldNotContain("-cpu");
        a[a.IndexOf("-plugin") + 1].ShouldBe($"/p/libalkanet.so,profile={guest.ProfilePath},ring=/dev/shm/alkanet-test.ring,args=all,stage=hit");
        staged.SampleProcessName.ShouldBe("s"); // the sample keeps its own file name in the guest
        launch.GuestReportsSample.ShouldBeTrue();
    }

    [Fact]
    public void The_analysis_guest_under_UEFI_boots_the_EFI_stub_with_its_own_variable_store()
    {
        var guest = new AnalysisGuest { Directory = Path.Combine(_dir, "guest") };
        var launch = new AnalysisGuestLaunch { SampleName = "s", Sample = [1], Guest = guest, Firmware = Firmware.Uefi };
        var o = Options(launch) with { Traced = false };
        var a = Arguments(launch.Stage(Work, "/tmp/c.log", o, null), o, plugin: null);
        a[a.IndexOf("-kernel") + 1].ShouldBe(guest.Vmlinuz);
        var vars = Values(a, "-drive").Single(d => d.Contains("unit=1", StringComparison.Ordinal));
        vars.ShouldBe($"if=pflash,format=raw,unit=1,file={Path.Combine(Work, "OVMF_VARS.fd")}");
        File.ReadAllBytes(Path.Combine(Work, "OVMF_VARS.fd")).ShouldBe(File.ReadAllBytes(QemuInstallation.Ovmf().Vars));
        a.ShouldNotContain("-plugin");
    }

    [Fact]
    public void A_disk_image_boots_through_OVMF_with_snapshot_on_and_the_sample_on_a_vvfat_drive()
    {
        var image = Path.Combine(_dir, "win,10.img"); // a comma is doubled in -drive
        File.WriteAllBytes(image, [0x51, 0x46, 0x49, 0xFB, 0, 0, 0, 3]);
        var sample = Path.Combine(_dir, "a-long-sample-name.exe");
        File.WriteAllBytes(sample, [0x4D, 0x5A]);
        var isf = Path.Combine(_dir, "isf");
        var launch = new DiskImageLaunch { Image = image, Sample = sample, MemoryMiB = 2048, Profiles = isf };
        var o = Options(launch) with { Network = true, PluginExtra = ",stage=decode" };
        var staged = launch.Stage(Work, "/tmp/c.log", o, null);
        var a = Arguments(staged, o, "/p/libalkanet.so");
        a.ShouldNotContain("-kernel");
        a[a.IndexOf("-cpu") + 1].ShouldBe("max");
        a[a.IndexOf("-m") + 1].ShouldBe("2048");
        a.ShouldNotContain("-nic");
        a[a.IndexOf("-netdev") + 1].ShouldBe("user,id=net0,restrict=on", "no AnalysisNetwork given: a NIC that reaches nothing");
        a[a.IndexOf("-device") + 1].ShouldBe("e1000e,netdev=net0");
        var isolated = QemuMachine.Arguments(TracedRun.Launch(staged, o, null, "/r") with { NetworkNamespace = "ns1", NetworkCapture = "/o/network.pcap" }).ToList();
        isolated[isolated.IndexOf("-netdev") + 1].ShouldBe("tap,id=net0,ifname=alk0,script=no,downscript=no");
        isolated.ShouldContain("filter-dump,id=capture0,netdev=net0,file=/o/network.pcap");
        var drives = Values(a, "-drive");
        drives[0].ShouldBe($"file={image.Replace(",", ",,", StringComparison.Ordinal)},format=qcow2,if=ide,index=0,media=disk,snapshot=on");
        drives[1].ShouldBe($"file=fat:{Path.Combine(Work, "sample-drive")},format=raw,if=ide,index=1,media=disk,snapshot=on");
        drives.ShouldContain($"if=pflash,format=raw,unit=1,file={Path.Combine(Work, "OVMF_VARS.fd")}");
        File.ReadAllText(Path.Combine(Work, "sample-drive", "alkanet", "run.cmd")).ShouldContain("\"%~dp0a-long-sample-name.exe\"");
        File.ReadAllBytes(Path.Combine(Work, "sample-drive", "alkanet", "a-long-sample-name.exe")).ShouldBe([0x4D, 0x5A]);
        staged.SampleProcessName.ShouldBe("a-long-sample-"); // EPROCESS.ImageFileName: 14 characters
        a[a.IndexOf("-plugin") + 1].ShouldBe($"/p/libalkanet.so,os=windows,ring=/dev/shm/alkanet-test.ring,args=decoded,profiles={isf},stage=decode");
        launch.GuestReportsSample.ShouldBeFalse();
        launch.Name.ShouldBe("a-long-sample-name");
    }

    [Fact]
    public void A_disk_image_without_a_sample_has_one_drive_and_no_sample_process()
    {
        var image = Path.Combine(_dir, "w.img");
        File.WriteAllBytes(image, new byte[512]);
        var launch = new DiskImageLaunch { Image = image };
        var o = Options(launch);
        var staged = launch.Stage(Work, "/tmp/c.log", o, null);
        Values(Arguments(staged, o, null), "-drive").Count(d => d.StartsWith("file=", StringComparison.Ordinal)).ShouldBe(1);
        staged.SampleProcessName.ShouldBeNull();
        launch.Format.ShouldBe("raw");
        launch.Name.ShouldBe("w");
    }

    [Fact]
    public void A_disk_launch_names_a_missing_image_or_sample_and_a_sample_folder_without_a_program()
    {
        var qemu = new QemuInstallation { Binary = "/nonexistent/qemu", Version = new Version(10, 0) };
        var missing = Path.Combine(_dir, "none.qcow2");
        Should.Throw<FileNotFoundException>(() => new DiskImageLaunch { Image = missing }.Check(qemu, null))
            .Message.ShouldBe($"the disk image {missing} does not exist");
        var image = Path.Combine(_dir, "w.img");
        File.WriteAllBytes(image, new byte[512]);
        Should.Throw<FileNotFoundException>(() => new DiskImageLaunch { Image = image, Sample = Path.Combine(_dir, "no.exe") }.Check(qemu, null))
            .Message.ShouldContain("no.exe does not exist");
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "tools")).FullName;
        File.WriteAllText(Path.Combine(folder, "readme.txt"), "x");
        var withFolder = new DiskImageLaunch { Image = image, Sample = folder };
        Should.Throw<InvalidDataException>(() => withFolder.Stage(Work, "/tmp/c.log", Options(withFolder), null))
            .Message.ShouldContain("has no .exe at its top level");
    }

    /// <summary>A run from a prepared snapshot: the snapshot's overlay under a per-run snapshot=on overlay (never the image,
    /// never the snapshot's own files), its saved state through -incoming, a copy of its UEFI variables, its RAM, and the
    /// sample drive even without a sample (the saved machine has one); a different machine size is refused.</summary>
    [Fact]
    public void A_snapshot_restore_loads_the_saved_state_over_the_overlay_and_keeps_the_saved_devices()
    {
        var image = Path.Combine(_dir, "w.img");
        File.WriteAllBytes(image, new byte[512]);
        var info = new FileInfo(image);
        var snap = new ImageSnapshot
        {
            Image = image, Name = "idle", MemoryMiB = 768, Cpus = 1, Network = false, ImageBytes = info.Length,
            ImageWrittenUtc = info.LastWriteTimeUtc,
        };
        Directory.CreateDirectory(snap.Folder);
        File.WriteAllBytes(snap.Vars, [1, 2, 3, 4]);
        var launch = new DiskImageLaunch { Image = image, Snapshot = snap, MemoryMiB = 768 };
        var o = Options(launch) with { Cpus = 1 };
        var staged = launch.Stage(Work, "/tmp/c.log", o, null);
        var a = Arguments(staged, o, null);
        var drives = Values(a, "-drive").Where(d => d.StartsWith("file=", StringComparison.Ordinal)).ToList();
        drives[0].ShouldBe($"file={snap.Overlay},format=qcow2,if=ide,index=0,media=disk,snapshot=on");
        drives[1].ShouldStartWith($"file=fat:{Path.Combine(Work, "sample-drive")},");
        Values(a, "-incoming").ShouldBe([$"file:{snap.State}"]);
        a[a.IndexOf("-m") + 1].ShouldBe("768");
        File.ReadAllBytes(Path.Combine(Work, "OVMF_VARS.fd")).ShouldBe([1, 2, 3, 4]);
        staged.SampleProcessName.ShouldBeNull();
        launch.Restores.ShouldBeTrue();

        Should.Throw<InvalidOperationException>(() => launch.Stage(Work, "/tmp/c.log", o with { Cpus = 2 }, null))
            .Message.ShouldContain("saved with 1 vCPUs, 768 MiB and no NIC");
    }

    [Fact]
    public void A_cold_image_boot_has_no_saved_state_and_the_qmp_socket_only_when_asked()
    {
        var image = Path.Combine(_dir, "w.img");
        File.WriteAllBytes(image, new byte[512]);
        var launch = new DiskImageLaunch { Image = image };
        var o = Options(launch);
        var staged = launch.Stage(Work, "/tmp/c.log", o, null);
        var a = Arguments(staged, o, null);
        a.ShouldNotContain("-incoming");
        a.ShouldNotContain("-qmp");
        Values(QemuMachine.Arguments(staged.Qemu with { QmpSocket = "/tmp/q.sock" }).ToList(), "-qmp")
            .ShouldBe(["unix:/tmp/q.sock,server=on,wait=off"]);
        launch.HasDisplay.ShouldBeTrue();
        launch.Restores.ShouldBeFalse();
    }
}
