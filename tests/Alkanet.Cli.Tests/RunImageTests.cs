using System.Security.Cryptography;
using System.Text.Json;
using Alkanet.Vmm.Host;
using Alkanet.Vmm.Live;
using Alkanet.Vmm.Qemu;
using static Alkanet.Cli.Tests.CliRunner;

namespace Alkanet.Cli.Tests;

/// <summary><c>alkanet run --image DISK --os windows</c>: the option checks, and a real QEMU boot through OVMF with
/// the plugin in Windows mode proving the user's image is never written.</summary>
public sealed class RunImageTests
{
    [Theory]
    [InlineData(new[] { "run", "--image", "disk.img" }, "--image needs --os windows")]
    [InlineData(new[] { "run", "--image", "disk.img", "--os", "plan9" }, "--os must be linux or windows, not 'plan9'")]
    [InlineData(new[] { "run", "--image", "disk.img", "--os", "linux" }, "--os linux with --image is not supported")]
    [InlineData(new[] { "run", "--os", "windows", "sample.exe" }, "--os windows needs --image DISK")]
    [InlineData(new[] { "run" }, "SAMPLE is required")]
    [InlineData(new[] { "run", "samples/dropper", "--memory", "4G" }, "--profiles, --snapshot and --screenshots apply to --image runs only")]
    [InlineData(new[] { "run", "--image", "disk.img", "--os", "windows", "--memory", "lots" }, "--memory 'lots' is not a size")]
    [InlineData(new[] { "run", "--image", "disk.img", "--os", "windows", "--memory", "64M" }, "between 256M and 1024G")]
    [InlineData(new[] { "run", "--image", "disk.img", "--os", "windows", "--firmware", "bios" }, "--image boots through OVMF (UEFI) only")]
    public void Option_mistakes_are_usage_errors(string[] args, string message)
    {
        var (code, _, err) = Run(args);
        code.ShouldBe(ExitCodes.Usage, err);
        err.ShouldContain(message);
    }

    [Fact]
    public void A_missing_disk_image_is_named()
    {
        var (code, _, err) = Run("run", "--image", "/nonexistent/win10-xyz.qcow2", "--os", "windows");
        code.ShouldBe(ExitCodes.Failure);
        err.ShouldContain("the disk image /nonexistent/win10-xyz.qcow2 does not exist");
    }

    [Fact]
    public void A_missing_sample_is_named()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("disk.img"), new byte[4096]);
        var (code, _, err) = Run("run", "--image", dir.File("disk.img"), "--os", "windows", dir.File("nope.exe"), "--out", dir.File("out"));
        code.ShouldBe(ExitCodes.Failure);
        err.ShouldContain($"the sample {dir.File("nope.exe")} does not exist");
        File.Exists(dir.File("out/run.json")).ShouldBeFalse(); // nothing half-written
    }

    [Theory]
    [InlineData(new byte[] { 0x51, 0x46, 0x49, 0xFB, 0, 0, 0, 3 }, "qcow2")]
    [InlineData(new byte[] { (byte)'K', (byte)'D', (byte)'M', (byte)'V', 1, 0, 0, 0 }, "vmdk")]
    [InlineData(new byte[] { (byte)'v', (byte)'h', (byte)'d', (byte)'x', (byte)'f', (byte)'i', (byte)'l', (byte)'e' }, "vhdx")]
    [InlineData(new byte[] { 0xEB, 0x52, 0x90, (byte)'N', (byte)'T', (byte)'F', (byte)'S', 0x20 }, "raw")]
    [InlineData(new byte[] { 1 }, "raw")]
    public void The_image_format_comes_from_its_magic(byte[] head, string format)
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("d"), head);
        DiskImageLaunch.DiskFormat(dir.File("d")).ShouldBe(format);
    }

    [Fact]
    public void The_user_s_image_is_not_modified_by_a_run()
    {
        RequireQemuOvmfAndPlugin();
        using var dir = new TempDir();
        var disk = dir.File("user-disk.raw");
        var bytes = new byte[8 << 20];
        new Random(10).NextBytes(bytes);
        bytes[510] = 0x55; // an MBR signature: OVMF tries to boot it, reads and may write the disk
        bytes[511] = 0xAA;
        File.WriteAllBytes(disk, bytes);
        var before = SHA256.HashData(bytes);
        var mtime = File.GetLastWriteTimeUtc(disk);
        File.WriteAllBytes(dir.File("sample.exe"), "MZ not really a program"u8.ToArray());

        // OVMF prints its boot failures after ≈ 10 s under TCG, later on a loaded host: 30 s leaves room for both
        var (code, stdout, err) = Run("run", "--image", disk, "--os", "windows", dir.File("sample.exe"), "--timeout", "30s",
            "--memory", "512M", "--out", dir.File("out"));

        code.ShouldBe(ExitCodes.Failure, err); // no Windows here: it times out with the kernel not found
        SHA256.HashData(File.ReadAllBytes(disk)).ShouldBe(before);
        File.GetLastWriteTimeUtc(disk).ShouldBe(mtime);
        err.ShouldContain("did not power off within 30 s");
        stdout.ShouldContain("kernel not found");
        using var run = JsonDocument.Parse(File.ReadAllText(dir.File("out/run.json")));
        var r = run.RootElement;
        r.GetProperty("os").GetString().ShouldBe("windows");
        r.GetProperty("image_format").GetString().ShouldBe("raw");
        r.GetProperty("outcome").GetString().ShouldBe("Timeout");
        r.GetProperty("sample_process").GetString().ShouldBe("sample.exe");
        var d = r.GetProperty("discovery");
        d.GetProperty("kernel_found").GetBoolean().ShouldBeFalse();
        d.GetProperty("status").GetString()!.ShouldContain("kernel not found yet"); // written by the plugin: it ran in Windows mode
        r.GetProperty("plugin_errors").GetInt64().ShouldBe(0);
        File.ReadAllText(dir.File("out/console.log")).ShouldNotBeEmpty(); // OVMF's console
        File.Exists(dir.File("out/trace.jsonl")).ShouldBeTrue();
    }

    private static readonly Lazy<string?> Missing = new(() =>
    {
        try
        {
            QemuInstallation.Find();
            QemuInstallation.Ovmf();
            PluginLocator.Locate();
            return null;
        }
        catch (PrerequisiteMissingException e)
        {
            return e.Message;
        }
    });

    internal static void RequireQemuOvmfAndPlugin()
    {
        if (Missing.Value is not { } why) return;
        if (Environment.GetEnvironmentVariable("CI") == "true") Assert.Fail("live-tracing prerequisite missing under CI: " + why);
        Assert.Skip("live-tracing prerequisite missing: " + why);
    }
}

/// <summary>Changes ALKANET_OVMF for the whole process: no other test may run meanwhile.</summary>
[CollectionDefinition(nameof(OvmfEnvironment), DisableParallelization = true)]
public sealed class OvmfEnvironment;

[Collection(nameof(OvmfEnvironment))]
public sealed class RunImageOvmfTests
{
    [Fact]
    public void Missing_ovmf_says_how_to_install_it()
    {
        RunImageTests.RequireQemuOvmfAndPlugin();
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("disk.img"), new byte[4096]);
        Environment.SetEnvironmentVariable("ALKANET_OVMF", dir.File("no-ovmf-here"));
        try
        {
            var (code, _, err) = Run("run", "--image", dir.File("disk.img"), "--os", "windows", "--out", dir.File("out"));
            code.ShouldBe(ExitCodes.Failure);
            err.ShouldContain($"OVMF (UEFI firmware, {dir.File("no-ovmf-here")}) is not installed; install it with: sudo bash scripts/setup.sh");
        }
        finally
        {
            Environment.SetEnvironmentVariable("ALKANET_OVMF", null);
        }
    }
}
