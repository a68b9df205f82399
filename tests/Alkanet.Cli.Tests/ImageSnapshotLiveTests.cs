using System.Security.Cryptography;
using System.Text.Json;
using Alkanet.Introspection.Symbols;
using Alkanet.Introspection.TestKit.Boot;
using static Alkanet.Cli.Tests.CliRunner;

namespace Alkanet.Cli.Tests;

/// <summary>Issue 15 item 7, end to end through the real CLI on the kit's bootable synthetic Windows guest, built to idle in
/// kernel code before its sample until a key press: <c>alkanet image prepare</c> boots it once and saves it there;
/// <c>alkanet run --image DISK --snapshot NAME</c> restores it (no firmware, no boot), the plugin finds ntoskrnl in the
/// restored memory, the start key runs the sample, and every call is recorded as after a cold boot.</summary>
public sealed class ImageSnapshotLiveTests(ITestOutputHelper output)
{
    /// <summary>OVMF's GOP mode on QEMU's standard VGA (q35's default display device): what the guest leaves on screen.</summary>
    private const int ScreenWidth = 1280, ScreenHeight = 800;

    [Fact]
    public async Task A_run_from_a_prepared_snapshot_finds_the_kernel_in_the_restored_state_and_traces_the_sample()
    {
        RunImageTests.RequireQemuOvmfAndPlugin();
        using var dir = new TempDir();
        var profiles = dir.File("no-profiles"); // the embedded 1909 ISF is the kernel's
        var boot = SyntheticWindowsBootDisk.Build(new ProfileStore(profiles).LoadDefault(),
            new SyntheticBootOptions { Iterations = 3, WaitForStartKey = true });
        var disk = dir.File("synthetic-windows.img");
        boot.WriteDiskImage(disk);
        var image = SHA256.HashData(File.ReadAllBytes(disk));
        var written = File.GetLastWriteTimeUtc(disk);
        File.WriteAllBytes(dir.File("sample.exe"), "MZ"u8.ToArray());

        var (code, stdout, err) = Run("image", "prepare", disk, "--snapshot", "idle", "--settle", "1", "--memory", "512M", "--smp", "1",
            "--profiles", profiles, "--timeout", "4m");
        code.ShouldBe(ExitCodes.Ok, err + stdout);
        stdout.ShouldContain($"snapshot 'idle' of {disk}: kernel found after");
        var folder = disk + ".alkanet";
        Directory.GetFiles(folder).Select(Path.GetFileName).Order().ShouldBe(["idle.json", "idle.qcow2", "idle.state", "idle.vars.fd"]);
        using (var info = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "idle.json"))))
        {
            info.RootElement.GetProperty("memory_mib").GetInt32().ShouldBe(512);
            info.RootElement.GetProperty("cpus").GetInt32().ShouldBe(1);
            info.RootElement.GetProperty("discovery").GetString()!.ShouldStartWith($"ntoskrnl at 0x{boot.Guest.KernelBase:x}");
            output.WriteLine($"cold boot to the kernel found: {info.RootElement.GetProperty("kernel_found_after_s").GetDouble():0.00} s");
        }
        QemuImg("info", "-U", "--output=json", Path.Combine(folder, "idle.qcow2")).ShouldContain($"\"backing-filename\": \"{disk}\"");
        SHA256.HashData(File.ReadAllBytes(disk)).ShouldBe(image); // the image is never written
        File.GetLastWriteTimeUtc(disk).ShouldBe(written);
        var saved = Directory.GetFiles(folder).ToDictionary(f => f, f => SHA256.HashData(File.ReadAllBytes(f)));

        (code, stdout, err) = Run("run", "--image", disk, "--os", "windows", "--snapshot", "idle", dir.File("sample.exe"), "--timeout", "4m",
            "--profiles", profiles, "--screenshots", "1", "--out", dir.File("out"));
        code.ShouldBe(ExitCodes.Ok, err + stdout);
        err.ShouldContain("run: restoring snapshot 'idle'");
        RunImageLiveTests.ShouldHaveTracedTheSample(boot, dir, stdout, err);
        var console = File.ReadAllText(dir.File("out/console.log"));
        console.ShouldNotContain(SyntheticWindowsBootDisk.WaitingForStartMessage); // printed before the snapshot: no boot here
        console.ShouldContain(SyntheticWindowsBootDisk.StartedMessage);
        console.ShouldContain(SyntheticWindowsBootDisk.PowerOffMessage);

        using var run = JsonDocument.Parse(File.ReadAllText(dir.File("out/run.json")));
        var r = run.RootElement;
        var snapshot = r.GetProperty("snapshot");
        snapshot.GetProperty("name").GetString().ShouldBe("idle");
        snapshot.GetProperty("folder").GetString().ShouldBe(folder);
        var resumed = snapshot.GetProperty("resumed_after_s").GetDouble();
        snapshot.GetProperty("start_key_after_s").GetDouble().ShouldBeGreaterThanOrEqualTo(resumed);
        output.WriteLine($"restored run: resumed {resumed:0.00} s, start key {snapshot.GetProperty("start_key_after_s").GetDouble():0.00} s " +
            $"after QEMU's start, wall {r.GetProperty("wall_s").GetDouble():0.00} s");
        r.GetProperty("discovery").GetProperty("attempts").GetInt64().ShouldBeGreaterThanOrEqualTo(1);

        var pictures = r.GetProperty("screenshots").EnumerateArray().Select(p => p.GetString()!).ToList();
        pictures.ShouldNotBeEmpty();
        pictures[^1].ShouldEndWith("-end.png");
        pictures.ShouldAllBe(p => p.StartsWith("screenshots/", StringComparison.Ordinal));
        foreach (var p in pictures) PngFile.Decode(dir.File("out/" + p)).ShouldBe((ScreenWidth, ScreenHeight), p);
        var html = File.ReadAllText(dir.File("out/report.html"));
        html.ShouldContain($"src=\"{pictures[^1]}\"");

        // Two runs restored from the one snapshot at the same time (farm workers sharing it): each has its own overlay.
        var both = new[] { "a", "b" }.Select(n => Task.Run(() => Run("run", "--image", disk, "--os", "windows", "--snapshot", "idle",
            dir.File("sample.exe"), "--timeout", "4m", "--profiles", profiles, "--screenshots", "0", "--no-report", "--out", dir.File("out-" + n))))
            .ToArray();
        var results = await Task.WhenAll(both);
        foreach (var (n, result) in new[] { "a", "b" }.Zip(results))
        {
            result.ExitCode.ShouldBe(ExitCodes.Ok, result.Err + result.Out);
            RecordFiles.ReadAll(dir.File($"out-{n}/trace.jsonl")).Count.ShouldBe(boot.ExpectedCalls.Sum(c => c.Returns ? 2 : 1));
            Directory.Exists(dir.File($"out-{n}/screenshots")).ShouldBeFalse(); // --screenshots 0
        }

        // The runs read the snapshot and changed none of it (so runs can share it), nor the image.
        foreach (var (f, hash) in saved) SHA256.HashData(File.ReadAllBytes(f)).ShouldBe(hash, f);
        SHA256.HashData(File.ReadAllBytes(disk)).ShouldBe(image);
    }

    private static string QemuImg(params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("qemu-img") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var text = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return text;
    }
}
