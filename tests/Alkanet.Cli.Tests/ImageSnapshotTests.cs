using Alkanet.Vmm.Live;
using static Alkanet.Cli.Tests.CliRunner;

namespace Alkanet.Cli.Tests;

/// <summary><c>alkanet image prepare</c> and <c>run --image DISK --snapshot NAME</c> given bad input: every mistake is named
/// before anything boots, and nothing is written. No QEMU needed.</summary>
public sealed class ImageSnapshotTests
{
    [Theory]
    [InlineData(new[] { "run", "samples/dropper", "--snapshot", "ready" }, "--snapshot and --screenshots apply to --image runs only")]
    [InlineData(new[] { "run", "samples/dropper", "--screenshots", "5" }, "--snapshot and --screenshots apply to --image runs only")]
    [InlineData(new[] { "run", "--image", "d.img", "--os", "windows", "--snapshot", "../x" }, "--snapshot: snapshot name '../x' must be")]
    [InlineData(new[] { "run", "--image", "d.img", "--os", "windows", "--screenshots", "-1" }, "--screenshots -1 is not between 0 and 3600")]
    [InlineData(new[] { "image", "prepare", "d.img", "--settle", "-1" }, "--settle -1 is not between 0 and 86400")]
    [InlineData(new[] { "image", "prepare", "d.img", "--snapshot", ".hidden" }, "--snapshot: snapshot name '.hidden' must be")]
    [InlineData(new[] { "image", "prepare", "d.img", "--os", "linux" }, "--os must be windows, not 'linux'")]
    public void Option_mistakes_are_usage_errors(string[] args, string message)
    {
        var (code, _, err) = Run(args);
        code.ShouldBe(ExitCodes.Usage, err);
        err.ShouldContain(message);
    }

    [Fact]
    public void A_missing_image_is_named_by_prepare_and_by_a_snapshot_run()
    {
        var (code, _, err) = Run("image", "prepare", "/nonexistent/win10-xyz.img");
        code.ShouldBe(ExitCodes.Failure);
        err.ShouldContain("the disk image /nonexistent/win10-xyz.img does not exist");
        Directory.Exists("/nonexistent/win10-xyz.img.alkanet").ShouldBeFalse();
        (code, _, err) = Run("run", "--image", "/nonexistent/win10-xyz.img", "--os", "windows", "--snapshot", "ready");
        code.ShouldBe(ExitCodes.Failure);
        err.ShouldContain("the disk image /nonexistent/win10-xyz.img does not exist");
    }

    [Fact]
    public void An_image_never_prepared_has_no_overlay_and_the_error_says_how_to_make_one()
    {
        using var dir = new TempDir();
        var disk = dir.File("raw.img");
        File.WriteAllBytes(disk, new byte[4096]);
        var (code, _, err) = Run("run", "--image", disk, "--os", "windows", "--snapshot", "ready", "--out", dir.File("out"));
        code.ShouldBe(ExitCodes.Failure, err);
        err.ShouldContain($"{disk} has no prepared snapshot (no overlay folder {disk}.alkanet)");
        err.ShouldContain($"alkanet image prepare {disk} --snapshot ready");
        Directory.Exists(dir.File("out")).ShouldBeFalse(); // checked before the run wrote anything
    }

    [Fact]
    public void An_unknown_snapshot_name_lists_the_ones_there_are()
    {
        using var dir = new TempDir();
        var disk = FakeSnapshot(dir, "idle", cpus: 1);
        FakeSnapshot(dir, "desktop", cpus: 1);
        var (code, _, err) = Run("run", "--image", disk, "--os", "windows", "--snapshot", "nope", "--out", dir.File("out"));
        code.ShouldBe(ExitCodes.Failure, err);
        err.ShouldContain($"{disk} has no snapshot 'nope' (in {disk}.alkanet: desktop, idle)");
        Directory.Exists(dir.File("out")).ShouldBeFalse();
        var (listCode, listOut, _) = Run("image", "list", disk);
        listCode.ShouldBe(ExitCodes.Ok);
        listOut.ShouldContain("desktop");
        listOut.ShouldContain("idle");
    }

    [Fact]
    public void A_snapshot_whose_image_changed_or_whose_state_is_gone_is_refused()
    {
        using var dir = new TempDir();
        var disk = FakeSnapshot(dir, "idle", cpus: 1);
        File.Delete(disk + ".alkanet/idle.state");
        var (code, _, err) = Run("run", "--image", disk, "--os", "windows", "--snapshot", "idle", "--out", dir.File("out"));
        code.ShouldBe(ExitCodes.Failure, err);
        err.ShouldContain($"snapshot 'idle' of {disk} is incomplete: {disk}.alkanet/idle.state is missing");

        FakeSnapshot(dir, "idle", cpus: 1);
        File.AppendAllText(disk, "changed");
        (code, _, err) = Run("run", "--image", disk, "--os", "windows", "--snapshot", "idle", "--out", dir.File("out"));
        code.ShouldBe(ExitCodes.Failure, err);
        err.ShouldContain($"{disk} changed since snapshot 'idle' was made (4096 bytes");
        Directory.Exists(dir.File("out")).ShouldBeFalse();
    }

    [Fact]
    public void A_restore_keeps_the_saved_machine_size()
    {
        using var dir = new TempDir();
        var disk = FakeSnapshot(dir, "idle", cpus: 1);
        var (code, _, err) = Run("run", "--image", disk, "--os", "windows", "--snapshot", "idle", "--smp", "2", "--out", dir.File("out"));
        code.ShouldBe(ExitCodes.Usage, err);
        err.ShouldContain("--smp 2 differs from snapshot 'idle' (1 vCPUs)");
        (code, _, err) = Run("run", "--image", disk, "--os", "windows", "--snapshot", "idle", "--memory", "1G", "--out", dir.File("out"));
        code.ShouldBe(ExitCodes.Usage, err);
        err.ShouldContain("--memory 1024M differs from snapshot 'idle' (512M)");
        (code, _, err) = Run("run", "--image", disk, "--os", "windows", "--snapshot", "idle", "--network", "--out", dir.File("out"));
        code.ShouldBe(ExitCodes.Usage, err);
        err.ShouldContain("snapshot 'idle' was saved without a NIC");
        Directory.Exists(dir.File("out")).ShouldBeFalse();
    }

    /// <summary>A snapshot's four files as prepare leaves them (contents beside the point: nothing boots).</summary>
    private static string FakeSnapshot(TempDir dir, string name, int cpus)
    {
        var disk = dir.File("disk.img");
        if (!File.Exists(disk)) File.WriteAllBytes(disk, new byte[4096]);
        var info = new FileInfo(disk);
        var snap = new ImageSnapshot
        {
            Image = disk, Name = name, MemoryMiB = 512, Cpus = cpus, Network = false, ImageBytes = info.Length,
            ImageWrittenUtc = info.LastWriteTimeUtc, CreatedUtc = DateTime.UtcNow, Discovery = "ntoskrnl at 0xfffff80000000000",
        };
        Directory.CreateDirectory(snap.Folder);
        foreach (var f in new[] { snap.Overlay, snap.State, snap.Vars }) File.WriteAllBytes(f, [0]);
        snap.WriteInfo(snap.Info);
        return disk;
    }
}
