using System.Security.Cryptography;
using System.Text.Json;
using Alkanet.Introspection.Symbols;
using Alkanet.Introspection.TestKit.Boot;
using static Alkanet.Cli.Tests.CliRunner;

namespace Alkanet.Cli.Tests;

/// <summary>Issue 12 on Windows and item 2 of issue 15, end to end through <c>alkanet run --image</c> on the kit's bootable
/// synthetic Windows guest (default <c>--capture sample</c>: the plugin's <c>capture=on</c>): the file the sample writes,
/// renames and deletes is stored under the SHA-256 of the bytes it wrote, with both names; the buffers it writes into
/// notepad.exe and over the child it hollows (1536 bytes, more than a ring slot) are stored whole under theirs, at their
/// target and address, notepad.exe's with the protection the sample allocated it with; the shipped YARA
/// rules match both; the report tells process hollowing (T1055.012, svchost.exe), thread hijacking (T1055.003) and APC
/// injection (T1055.004, both notepad.exe) with the records of every step.</summary>
public sealed class RunImageEvidenceLiveTests
{
    private static string Rules => Path.Combine(RunLive.Repo, "tests", "Alkanet.Analysis.Tests", "Fixtures", "yara");

    private static string Sha256(ReadOnlySpan<byte> b) => Convert.ToHexStringLower(SHA256.HashData(b));

    [Fact]
    public void The_synthetic_windows_sample_drops_injects_and_hollows_and_the_run_folder_proves_it()
    {
        RunImageTests.RequireQemuOvmfAndPlugin();
        Assert.SkipWhen(!File.Exists("/usr/bin/yara"), "yara is not installed (scripts/setup.d/60-evidence.sh)");
        using var dir = new TempDir();
        var profiles = dir.File("no-profiles");
        var boot = SyntheticWindowsBootDisk.Build(new ProfileStore(profiles).LoadDefault(), new SyntheticBootOptions());
        var disk = dir.File("synthetic-windows.img");
        boot.WriteDiskImage(disk);
        File.WriteAllBytes(dir.File("sample.exe"), "MZ"u8.ToArray());
        var (code, stdout, err) = Run("run", "--image", disk, "--os", "windows", dir.File("sample.exe"), "--timeout", "6m",
            "--memory", "512M", "--profiles", profiles, "--out", dir.File("out"), "--yara", Rules);
        code.ShouldBe(ExitCodes.Ok, err + stdout);
        stdout.ShouldContain("artifacts: ");
        var run = dir.File("out");
        using var artifacts = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "artifacts.json")));

        // The dropped file: every name it had, deleted, its bytes those the sample wrote.
        var payload = SyntheticWindowsBootDisk.DroppedFileContent.ToArray();
        var file = artifacts.RootElement.GetProperty("files").EnumerateArray().ShouldHaveSingleItem();
        file.GetProperty("sha256").GetString().ShouldBe(Sha256(payload));
        file.GetProperty("paths").EnumerateArray().Select(p => p.GetString()).ShouldBe([@"C:\Users\Public\evil.exe", @"C:\Users\Public\evil.tmp"]);
        file.GetProperty("deleted").GetBoolean().ShouldBeTrue();
        file.GetProperty("partial").GetBoolean().ShouldBeFalse();
        File.ReadAllBytes(Path.Combine(run, "files", Sha256(payload))).ShouldBe(payload);

        // The injected buffers: into notepad.exe at the allocation, over svchost.exe's image.
        var memory = artifacts.RootElement.GetProperty("memory").EnumerateArray().ToList();
        memory.Count.ShouldBe(2);
        ShouldHold(memory, run, SyntheticWindowsBootDisk.TargetPid, 0x2000_0000, SyntheticWindowsBootDisk.InjectedCode.ToArray());
        // The hollowing's buffer is 1536 bytes, more than one ring slot: whole, up to the default per-call cap (1 MiB).
        SyntheticWindowsBootDisk.HollowImage.Length.ShouldBeGreaterThan(384);
        ShouldHold(memory, run, SyntheticWindowsBootDisk.ChildPid, 0x1_4000_0000, SyntheticWindowsBootDisk.HollowImage.ToArray());
        // notepad.exe's region was allocated PAGE_EXECUTE_READWRITE by the sample before the write, and never changed.
        var intoNotepad = memory.Single(e => e.GetProperty("target_pid").GetString() == SyntheticWindowsBootDisk.TargetPid.ToString("x"));
        intoNotepad.GetProperty("protect_at_write").GetString().ShouldBe("PAGE_EXECUTE_READWRITE");
        intoNotepad.GetProperty("protect_last").GetString().ShouldBe("PAGE_EXECUTE_READWRITE");

        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "report.json")));
        var findings = report.RootElement.GetProperty("findings").EnumerateArray().ToList();
        var rules = findings.Select(f => f.GetProperty("rule").GetString()).ToList();
        rules.ShouldContain("yara:Synthetic_Windows_Dropped");
        rules.ShouldContain("yara:Synthetic_Windows_Injected");
        var attack = findings.SelectMany(f => f.GetProperty("attack").EnumerateArray().Select(a => a.GetProperty("id").GetString())).ToList();
        attack.ShouldContain("T1055.012");
        attack.ShouldContain("T1055.003");
        attack.ShouldContain("T1055.004");

        // Each technique against its own target, every step of it proved by records.
        var catalogue = report.RootElement.GetProperty("injections").EnumerateArray()
            .SelectMany(i => i.GetProperty("catalogue").EnumerateArray().Select(t => (Target: i.GetProperty("target").GetString()!, Technique: t)))
            .ToList();
        ShouldBeTold(catalogue, "T1055.012", "svchost.exe", ["created suspended", "unmapped", "written", "context set", "resumed"]);
        ShouldBeTold(catalogue, "T1055.003", "notepad.exe", ["suspended", "written", "context set", "resumed"]);
        ShouldBeTold(catalogue, "T1055.004", "notepad.exe", ["written", "APC queued"]);
    }

    private static void ShouldHold(List<JsonElement> memory, string run, ulong pid, ulong address, byte[] bytes)
    {
        var m = memory.Single(e => e.GetProperty("target_pid").GetString() == pid.ToString("x"));
        m.GetProperty("address").GetString().ShouldBe(address.ToString("x"));
        m.GetProperty("size").GetInt64().ShouldBe(bytes.Length);
        m.GetProperty("sha256").GetString().ShouldBe(Sha256(bytes));
        m.GetProperty("techniques").EnumerateArray().Select(t => t.GetString()).ShouldBe(["NtWriteVirtualMemory"]);
        m.GetProperty("partial").GetBoolean().ShouldBeFalse();
        File.ReadAllBytes(Path.Combine(run, "memory", Sha256(bytes))).ShouldBe(bytes);
    }

    private static void ShouldBeTold(List<(string Target, JsonElement Technique)> catalogue, string attack, string target, string[] steps)
    {
        var (told, t) = catalogue.Single(c => c.Technique.GetProperty("attack").GetString() == attack);
        told.ShouldContain(target);
        var byName = t.GetProperty("steps").EnumerateArray().ToDictionary(s => s.GetProperty("step").GetString()!);
        foreach (var step in steps)
            byName[step].GetProperty("records").GetArrayLength().ShouldBeGreaterThan(0, $"{attack} step '{step}'");
    }
}
