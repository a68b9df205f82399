using System.Text.RegularExpressions;
using Alkanet.Introspection.TestKit.Boot;

namespace Alkanet.SyntheticBoot.Tests;

/// <summary>Real boots: OVMF loads BOOTX64.EFI from the FAT16 disk under TCG, the loader enters the synthetic kernel,
/// sample.exe's NtWriteFile reaches COM1 through KiSystemCall64 → KiServiceTable → the service, and
/// NtTerminateProcess powers the VM off (QEMU exits by itself, before the timeout).</summary>
public class LiveBootTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private static void AssertRanToPowerOff(QemuBoot.Result r, int writes)
    {
        r.Exited.ShouldBeTrue($"QEMU still ran after {Timeout}; serial:\n{r.Serial}");
        r.ExitCode.ShouldBe(0, r.Stderr);
        r.Serial.ShouldContain(EfiLoader.Banner.TrimEnd());
        r.Serial.ShouldContain(EfiLoader.TrampolineMessage.TrimEnd());
        r.Serial.ShouldNotContain("exception vector", Case.Sensitive, r.Serial);
        Regex.Count(r.Serial, Regex.Escape(SyntheticWindowsBootDisk.SerialEcho.TrimEnd())).ShouldBe(writes, r.Serial);
        // Power-off, not a triple fault (which -no-reboot also turns into an exit): the kernel said so last.
        r.Serial.TrimEnd().ShouldEndWith(SyntheticWindowsBootDisk.PowerOffMessage, Case.Sensitive, r.Serial);
    }

    private static void BootsToPowerOff(SyntheticBootOptions options, int writes, int memoryMiB = 512, int cpus = 1)
    {
        using var boot = new QemuBoot();
        QemuBoot.Require();
        BootDisks.Build(options).WriteDiskImage(boot.DiskPath);
        AssertRanToPowerOff(boot.Run(Timeout, memoryMiB, cpus), writes);
    }

    [Fact]
    public void OVMF_boots_the_disk_and_the_sample_writes_through_the_synthetic_kernel_then_powers_off() =>
        BootsToPowerOff(new SyntheticBootOptions(), writes: 1);

    [Fact]
    public void Another_kernel_base_more_iterations_two_vcpus_and_1G_boot_the_same_way() =>
        BootsToPowerOff(new SyntheticBootOptions { KernelBase = 0xFFFF_F800_1260_0000UL, Iterations = 3 }, writes: 3, memoryMiB: 1024, cpus: 2);

    [Fact]
    public void The_kva_shadow_variant_boots_and_runs_its_calls_across_the_cr3_switches() =>
        BootsToPowerOff(new SyntheticBootOptions { KvaShadow = true, Iterations = 2 }, writes: 2);

    [Fact]
    public void Too_little_memory_for_the_window_is_reported_on_the_serial_console_and_the_vm_shuts_down()
    {
        using var boot = new QemuBoot();
        QemuBoot.Require();
        // A window at 1 GiB does not exist in a 512 MiB VM: AllocatePages(AllocateAddress) fails.
        BootDisks.Build(new SyntheticBootOptions { PhysicalStart = 1UL << 30 }).WriteDiskImage(boot.DiskPath);
        var r = boot.Run(Timeout);
        r.Exited.ShouldBeTrue(r.Serial);
        r.Serial.ShouldContain("AllocatePages(AllocateAddress) failed");
        r.Serial.ShouldNotContain(EfiLoader.TrampolineMessage.TrimEnd());
    }
}
