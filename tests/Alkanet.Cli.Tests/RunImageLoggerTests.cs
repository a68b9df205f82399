using Alkanet.Introspection.Symbols;
using Alkanet.Introspection.TestKit.Boot;
using static Alkanet.Cli.Tests.CliRunner;

namespace Alkanet.Cli.Tests;

/// <summary><c>alkanet run --image DISK --os windows --logger</c>: a Windows image run streams to a real logging
/// machine (an <c>alkanet logger</c> child process) through the same link as a Linux run, and the logger stores the
/// very records the local trace.jsonl holds.</summary>
public sealed class RunImageLoggerTests
{
    [Fact]
    public void A_windows_image_run_streams_every_record_to_the_logger()
    {
        RunImageTests.RequireQemuOvmfAndPlugin();
        using var dir = new TempDir();
        var profiles = dir.File("no-profiles");
        var boot = SyntheticWindowsBootDisk.Build(new ProfileStore(profiles).LoadDefault(), new SyntheticBootOptions { Iterations = 2 });
        var disk = dir.File("synthetic-windows.img");
        boot.WriteDiskImage(disk);
        using var logger = new LoggerChild(dir.File("logger"), "test-token-tok");

        var (code, stdout, err) = Run("run", "--image", disk, "--os", "windows", "--timeout", "4m", "--memory", "512M",
            "--profiles", profiles, "--out", dir.File("out"), "--logger", logger.Endpoint, "--token", "test-token-tok", "--run-id", "win");

        code.ShouldBe(ExitCodes.Ok, err + stdout);
        var local = File.ReadAllText(dir.File("out/trace.jsonl"));
        var records = RecordFiles.ReadAll(dir.File("out/trace.jsonl"));
        records.Count.ShouldBe(boot.ExpectedCalls.Sum(c => c.Returns ? 2 : 1));
        records.ShouldContain(r => r.Name == "NtCreateFile" && r.ProcName == "sample.exe");
        Stored(logger.RunFile("win")).ShouldBe(local, "the stored run is the local file, record for record");
    }

    private static string Stored(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return new StreamReader(fs).ReadToEnd();
    }
}
