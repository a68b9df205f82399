using Alkanet.Cli;
using Alkanet.Core.Json;
using Alkanet.Core.Records;
using Alkanet.Introspection.TestKit;
using Alkanet.Vmm.Tests.Gdb;
using Alkanet.Vmm.Tests.Gdb.Fakes;
using static Alkanet.Cli.Tests.CliRunner;

namespace Alkanet.Cli.Tests;

/// <summary><c>alkanet trace --os windows</c> against the simulated gdbstub serving a synthetic Windows 1909 guest,
/// and its log through <c>alkanet log validate</c> and <c>alkanet report</c>.</summary>
[Collection("ALKANET_PROFILES")] // the trace command reads $ALKANET_PROFILES, which the profile tests change
public sealed class TraceWindowsTests
{
    [Fact]
    public void Traces_a_simulated_windows_vm_and_the_log_validates_and_reports_the_injection()
    {
        var (w, _) = WindowsGdbGuest.Injection();
        var hits = w.Hits;
        using var server = new FakeRspServer(w.Target);
        var dir = Directory.CreateTempSubdirectory("alkanet-trace-win-").FullName;
        try
        {
            var file = Path.Combine(dir, "win.jsonl");
            var (code, _, err) = Run("trace", "--gdb", $"127.0.0.1:{server.Port}", "--os", "windows", "--out", file,
                "--max-hits", hits.ToString(System.Globalization.CultureInfo.InvariantCulture));
            code.ShouldBe(ExitCodes.Ok, err);
            err.ShouldContain($"windows: ntoskrnl at 0x{w.Guest.KernelBase:x}");
            err.ShouldContain("ntkrnlmp.pdb E0093F3AEF15D58168B753C9488A4043-1");
            err.ShouldContain("build 18363 (KUSER_SHARED_DATA.NtBuildNumber)");
            err.ShouldContain("windows: warning: MSR LSTAR not available");
            err.ShouldContain($"KiSystemCall64@0x{w.Guest.Symbol("KiSystemCall64"):x} (ENTER)");
            err.ShouldContain($"hitlimit: {hits} records from {hits} hits");
            err.ShouldContain($"12.4 packets/hit, 0 RIP steps, {hits} single steps", Case.Insensitive, err); // docs/GDBSTUB.md
            server.Detached.ShouldBeTrue();
            server.Received.Where(GdbTestKit.IsWritePacket).ShouldBeEmpty();

            var records = RecordFiles.ReadAll(file);
            records.Select(r => r.No).ShouldBe(Enumerable.Range(1, hits).Select(i => (long)i));
            records.Select(r => r.Name).ShouldBe(InjectionScenario.Calls);
            var create = records.Single(r => r.Name == "NtCreateFile" && r.IsEnter);
            (create.Pid, create.Tid, create.ProcName, create.SysNo).ShouldBe((0x21f4UL, 0x21f8UL, InjectionScenario.SampleName, 0x55UL));
            create.AdditionalInfo["file_name"].ShouldBe(InjectionScenario.Figure2FileName);
            create.AdditionalInfo["desired_access"].ShouldBe("80100080");
            records.Where(r => r.Name is "NtWriteVirtualMemory" or "NtCreateThreadEx" && r.IsEnter)
                .ShouldAllBe(r => r.AdditionalInfo["target_pid"] == "3e8");

            var validate = Run("log", "validate", file);
            validate.ExitCode.ShouldBe(ExitCodes.Ok, validate.Out + validate.Err);
            validate.Out.ShouldContain("valid");

            var report = Run("report", file, "--sample", InjectionScenario.SampleName);
            report.ExitCode.ShouldBe(ExitCodes.Ok, report.Err);
            report.Out.ShouldContain("Code written into another process and run by a remote thread");
            report.Out.ShouldContain("T1055.002");
            report.Out.ShouldContain("notepad.exe");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_kernel_without_a_profile_fails_naming_its_pdb_and_leaves_the_vm_running()
    {
        var w = new WindowsGdbGuest(new SyntheticGuestOptions { PdbGuid = "0123456789ABCDEF0123456789ABCDEF", PdbAge = 3 });
        using var server = new FakeRspServer(w.Target);
        var dir = Directory.CreateTempSubdirectory("alkanet-trace-win-").FullName;
        var profiles = Environment.GetEnvironmentVariable("ALKANET_PROFILES");
        try
        {
            Environment.SetEnvironmentVariable("ALKANET_PROFILES", dir); // an empty user folder: only the built-in 1909
            var file = Path.Combine(dir, "win.jsonl");
            var (code, _, err) = Run("trace", "--gdb", $"127.0.0.1:{server.Port}", "--os", "windows", "--out", file);
            code.ShouldBe(ExitCodes.Failure);
            err.ShouldContain("--os windows: Windows kernel discovery failed");
            err.ShouldContain("ntkrnlmp.pdb 0123456789ABCDEF0123456789ABCDEF-3");
            err.ShouldContain("alkanet profile import");
            File.Exists(file).ShouldBeFalse();
            File.Exists(file + ".partial").ShouldBeFalse();
            server.Detached.ShouldBeTrue(); // attaching stopped the VM; the failed run let it go again
            server.Received.Where(GdbTestKit.IsWritePacket).ShouldBeEmpty();
        }
        finally
        {
            Environment.SetEnvironmentVariable("ALKANET_PROFILES", profiles);
            Directory.Delete(dir, recursive: true);
        }
    }
}
