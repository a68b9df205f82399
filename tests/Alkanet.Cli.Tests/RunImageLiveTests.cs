using System.Security.Cryptography;
using System.Text.Json;
using Alkanet.Core.Records;
using Alkanet.Introspection.Symbols;
using Alkanet.Introspection.TestKit;
using Alkanet.Introspection.Windows;
using Alkanet.Introspection.TestKit.Boot;
using static Alkanet.Cli.Tests.CliRunner;

namespace Alkanet.Cli.Tests;

/// <summary>End to end: <c>alkanet run --image DISK --os windows</c> on the kit's bootable synthetic Windows guest
/// (a UEFI application that lays out the 1909 structures, the real KiSystemCall64 path, a sample making real calls).
/// The plugin finds the kernel inside the guest from GS/KPCR/IDT, resets itself onto the two sites and decodes.</summary>
public sealed class RunImageLiveTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)] // KVA shadow: ENTER at KiSystemServiceUser; discovery fails while a user CR3 (no kernel) is live, and retries
    public void The_synthetic_windows_guest_is_traced_from_inside_qemu(bool kvaShadow)
    {
        RunImageTests.RequireQemuOvmfAndPlugin();
        using var dir = new TempDir();
        var profiles = dir.File("no-profiles"); // the embedded 1909 ISF is the kernel's
        var boot = SyntheticWindowsBootDisk.Build(new ProfileStore(profiles).LoadDefault(), new SyntheticBootOptions { Iterations = 3, KvaShadow = kvaShadow });
        var disk = dir.File("synthetic-windows.img");
        boot.WriteDiskImage(disk);
        var before = SHA256.HashData(File.ReadAllBytes(disk));
        File.WriteAllBytes(dir.File("sample.exe"), "MZ"u8.ToArray()); // names the sample for the report (the synthetic guest runs its own)

        var (code, stdout, err) = Run("run", "--image", disk, "--os", "windows", dir.File("sample.exe"), "--timeout", "4m",
            "--memory", "512M", "--profiles", profiles, "--out", dir.File("out"));

        code.ShouldBe(ExitCodes.Ok, err + stdout);
        SHA256.HashData(File.ReadAllBytes(disk)).ShouldBe(before);
        err.ShouldContain($"KVA shadow {(kvaShadow ? "on" : "off")}");
        ShouldHaveTracedTheSample(boot, dir, stdout, err);
    }

    /// <summary>Item 0 of issue 15: a kernel of a later cumulative update (NtCopyFileChunk inserted at 163, every call
    /// after it one higher, NtCreateThreadEx among them) is named by its own KiServiceTable, not by the release's
    /// static table, which would call the sample's NtCreateThreadEx (0xbe) by its 1909 neighbour's name.</summary>
    [Fact]
    public void Call_names_follow_the_guests_own_service_table()
    {
        RunImageTests.RequireQemuOvmfAndPlugin();
        using var dir = new TempDir();
        var profiles = dir.File("profiles");
        Directory.CreateDirectory(profiles);
        var release = new ProfileStore(dir.File("no-profiles")).LoadDefault();
        var isfPath = Path.Combine(profiles, "ntkrnlmp.pdb_E0093F3AEF15D58168B753C9488A4043-1.json");
        File.WriteAllBytes(isfPath, ServiceTableLayouts.WithRoutine(release, "NtCopyFileChunk"));
        var table1909 = WindowsSyscallTables.Instance.ByRelease("1909")!;
        var updated = ServiceTableLayouts.Inserted(table1909, "NtCopyFileChunk", 163);
        var boot = SyntheticWindowsBootDisk.Build(IsfFile.Load(isfPath), new SyntheticBootOptions { ServiceTable = updated });
        updated.TryGetNumber("NtCreateThreadEx", out var createThread).ShouldBeTrue();
        boot.ExpectedCalls.ShouldContain(c => c.Name == "NtCreateThreadEx" && c.Number == createThread);
        table1909.NameOf(createThread).ShouldNotBe("NtCreateThreadEx");
        var (stdout, err) = RunGuest(dir, boot, profiles);
        err.ShouldContain("system-call names from the running kernel's KiServiceTable (465 services");
        ShouldHaveTracedTheSample(boot, dir, stdout, err);
    }

    /// <summary>Item 6 of issue 15: the guest booted as each build (its kernel ISF from --profiles, its call table laid
    /// out in KiServiceTable, its NtBuildNumber in KUSER_SHARED_DATA), traced and decoded with that build's offsets.</summary>
    [Theory]
    [InlineData(17763)]
    [InlineData(19041)]
    [InlineData(22000)]
    public void Each_windows_build_is_traced_with_its_own_symbols_and_table(int build)
    {
        RunImageTests.RequireQemuOvmfAndPlugin();
        using var dir = new TempDir();
        var profile = BuildProfile.Of(build);
        var profiles = dir.File("profiles");
        Directory.CreateDirectory(profiles);
        File.Copy(profile.IsfPath, Path.Combine(profiles, Path.GetFileName(profile.IsfPath)));
        var boot = SyntheticWindowsBootDisk.Build(profile.LoadIsf(), SyntheticBootOptions.For(profile));
        var (stdout, err) = RunGuest(dir, boot, profiles);
        err.ShouldContain($"ntkrnlmp.pdb {boot.Guest.Isf.Pdb!.Guid}");
        var absent = profile.Table.Calls().Count(c => !boot.Guest.Isf.TryGetSymbol(c.Name, out _)); // 22000.318: NtCopyFileChunk
        err.ShouldContain($"differs from the static {profile.Table.Release} table in {absent} numbers");
        ShouldHaveTracedTheSample(boot, dir, stdout, err, build);
    }

    /// <summary>Writes the guest's disk and a stand-in sample, runs <c>alkanet run --image</c> on it, expects success.</summary>
    private static (string Stdout, string Err) RunGuest(TempDir dir, SyntheticWindowsBootDisk boot, string profiles)
    {
        var disk = dir.File("synthetic-windows.img");
        boot.WriteDiskImage(disk);
        File.WriteAllBytes(dir.File("sample.exe"), "MZ"u8.ToArray());
        var (code, stdout, err) = Run("run", "--image", disk, "--os", "windows", dir.File("sample.exe"), "--timeout", "4m",
            "--memory", "512M", "--profiles", profiles, "--out", dir.File("out"));
        code.ShouldBe(ExitCodes.Ok, err + stdout);
        return (stdout, err);
    }

    internal static void ShouldHaveTracedTheSample(SyntheticWindowsBootDisk boot, TempDir dir, string stdout, string err, int build = 18363)
    {
        err.ShouldContain($"alkanet: windows: ntoskrnl at 0x{boot.Guest.KernelBase:x}, ntkrnlmp.pdb");
        err.ShouldContain($"build {build}");
        stdout.ShouldContain("outcome PoweredOff");
        stdout.ShouldContain("report: ");

        var records = RecordFiles.ReadAll(dir.File("out/trace.jsonl"));
        var expected = boot.ExpectedCalls;
        records.Count.ShouldBe(expected.Sum(c => c.Returns ? 2 : 1), string.Join('\n', records.Select(r => $"{r.LogType} {r.Name}")));
        var i = 0;
        foreach (var call in expected)
        {
            var enter = records[i++];
            enter.LogType.ShouldBe(LogType.Enter, $"record {enter.No}");
            ShouldBeTheSample(enter, call);
            foreach (var (key, value) in call.Enter) ShouldMatch(enter, key, value);
            if (!call.Returns) continue;
            var exit = records[i++];
            exit.LogType.ShouldBe(LogType.Exit, $"record {exit.No}");
            ShouldBeTheSample(exit, call);
            exit.RetVal.ShouldBe((ulong)call.Status, $"{call} EXIT status");
            if (call.OutHandle is { } h) exit.AdditionalInfo["out_handle"].ShouldBe(h.ToString("x"), $"{call} EXIT handle");
            foreach (var (key, value) in call.Exit) ShouldMatch(exit, key, value);
        }
        records.Select(r => r.No).ShouldBe(Enumerable.Range(0, records.Count).Select(n => (long)n));
        // Issue 15 item 2: thread execution hijacking (suspend, set context, resume an existing thread of notepad.exe)
        // and APC injection into it, each step a record naming the target.
        string[] hijack = ["NtSuspendThread", "NtSetContextThread", "NtResumeThread", "NtQueueApcThread"];
        var steps = records.Where(r => r.LogType == LogType.Enter && hijack.Contains(r.Name)).Take(hijack.Length).ToList();
        steps.Select(r => r.Name).ShouldBe(hijack);
        steps.ShouldAllBe(r => r.AdditionalInfo["target_pid"]!.ToString() == SyntheticWindowsBootDisk.TargetPid.ToString("x")
            && r.AdditionalInfo["target_tid"]!.ToString() == SyntheticWindowsBootDisk.TargetTid.ToString("x"));
        records.First(r => r.Name == "NtCreateFile").AdditionalInfo["desired_access_names"].ShouldBe("SYNCHRONIZE|GENERIC_WRITE");

        var (validateCode, validateOut, validateErr) = Run("log", "validate", dir.File("out/trace.jsonl"));
        validateCode.ShouldBe(ExitCodes.Ok, validateOut + validateErr);

        using var run = JsonDocument.Parse(File.ReadAllText(dir.File("out/run.json")));
        var r = run.RootElement;
        r.GetProperty("outcome").GetString().ShouldBe("PoweredOff");
        r.GetProperty("complete").GetBoolean().ShouldBeTrue();
        r.GetProperty("records").GetInt64().ShouldBe(records.Count);
        r.GetProperty("lost").GetInt64().ShouldBe(0);
        r.GetProperty("plugin_errors").GetInt64().ShouldBe(0);
        var d = r.GetProperty("discovery");
        d.GetProperty("kernel_found").GetBoolean().ShouldBeTrue();
        d.GetProperty("kernel_base").GetString().ShouldBe(boot.Guest.KernelBase.ToString("x"));
        d.GetProperty("status").GetString()!.ShouldContain("system-call names from the running kernel's KiServiceTable");
        d.GetProperty("attempts").GetInt64().ShouldBeGreaterThanOrEqualTo(1);
        File.ReadAllText(dir.File("out/trace.jsonl.meta.json")).ShouldContain("\"sample.exe\"");
        File.Exists(dir.File("out/report.json")).ShouldBeTrue();
    }

    private static void ShouldBeTheSample(SyscallRecord r, GuestCall call)
    {
        r.Name.ShouldBe(call.Name, $"record {r.No}");
        r.SysNo.ShouldBe((ulong)call.Number, $"record {r.No}");
        r.Pid.ShouldBe(SyntheticWindowsBootDisk.SamplePid);
        r.Tid.ShouldBe(SyntheticWindowsBootDisk.SampleTid);
        r.ParentPid.ShouldBe(SyntheticWindowsBootDisk.SampleParentPid);
        r.ProcName.ShouldBe("sample.exe");
    }

    /// <summary>Object-attribute names carry their root directory handle as a prefix ("0\" when none).</summary>
    private static void ShouldMatch(SyscallRecord r, string key, string value)
    {
        r.AdditionalInfo[key].ShouldNotBeNull($"{r.Name} {r.LogType} lacks {key}");
        var actual = r.AdditionalInfo[key]!.ToString();
        (actual == value || actual == "0\\" + value).ShouldBeTrue($"{r.Name} {r.LogType} {key}: '{actual}', expected '{value}'");
    }
}
