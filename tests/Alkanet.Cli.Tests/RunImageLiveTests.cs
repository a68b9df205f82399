using System.Security.Cryptography;
using System.Text.Json;
using Alkanet.Core.Records;
using Alkanet.Introspection.Symbols;
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
        err.ShouldContain($"alkanet: windows: ntoskrnl at 0x{boot.Guest.KernelBase:x}, ntkrnlmp.pdb");
        err.ShouldContain("build 18363");
        err.ShouldContain($"KVA shadow {(kvaShadow ? "on" : "off")}");
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
        d.GetProperty("status").GetString()!.ShouldContain("system-call table Windows 10 (1909)");
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
