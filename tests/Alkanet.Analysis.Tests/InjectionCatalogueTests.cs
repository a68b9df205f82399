using Alkanet.Analysis.Model;
using Alkanet.Analysis.Output;

namespace Alkanet.Analysis.Tests;

/// <summary>The injection catalogue on record sequences decoded from the synthetic Windows guest: each technique with its
/// ATT&amp;CK sub-technique and the records of every step, source → target.</summary>
public class InjectionCatalogueTests
{
    private static Report Report(WindowsGuestRecords g)
    {
        var a = g.Finish();
        return ReportBuilder.Build(a, SampleScope.Resolve(a, g.Sample.Pid.ToString()), new ReportOptions(), new ReportInput());
    }

    private static ReportInjectionTechnique Technique(Report r, string attack) =>
        r.Injections.SelectMany(i => i.Catalogue).Single(t => t.Attack == attack);

    private static void StepsAre(ReportInjectionTechnique t, WindowsGuestRecords g, params (string Step, string Label)[] steps)
    {
        foreach (var (step, label) in steps)
            t.Steps.Single(s => s.Step == step).Records.ShouldContain(g.Nos[label], step);
    }

    [Fact]
    public void Hollowing_a_suspended_child_is_T1055_012_with_creation_unmap_write_context_and_resume()
    {
        var g = new WindowsGuestRecords();
        var (_, _, ph, th) = g.CreateProcess(0x2000, "svchost.exe", suspended: true);
        g.Call("unmap", "NtUnmapViewOfSection", [ph, 0x40_0000]);
        g.Write("write", ph, 0x3000);
        g.Call("context", "NtSetContextThread", [th, g.Sample.UserAlloc(0x4d0)]);
        g.Call("resume", "NtResumeThread", [th, g.Sample.U64(0)]);
        var r = Report(g);
        var t = Technique(r, "T1055.012");
        StepsAre(t, g, ("created suspended", "create"), ("unmapped", "unmap"), ("written", "write"), ("context set", "context"), ("resumed", "resume"));
        var i = r.Injections.Single();
        (r.Processes.Single(p => p.Seq == i.SourceSeq).ProcessId, r.Processes.Single(p => p.Seq == i.TargetSeq).ProcessId).ShouldBe((0x1000UL, 0x2000UL));
        r.Findings.ShouldContain(f => f.Attack.Any(a => a.Id == "T1055.012"));
    }

    [Fact]
    public void The_same_calls_on_a_child_not_created_suspended_are_not_hollowing()
    {
        var g = new WindowsGuestRecords();
        var (_, _, ph, th) = g.CreateProcess(0x2000, "svchost.exe", suspended: false);
        g.Write("write", ph, 0x3000);
        g.Call("resume", "NtResumeThread", [th, g.Sample.U64(0)]);
        Report(g).Injections.SelectMany(i => i.Catalogue).ShouldNotContain(t => t.Attack == "T1055.012");
    }

    [Fact]
    public void Hijacking_an_existing_thread_is_T1055_003_suspend_write_context_resume()
    {
        var g = new WindowsGuestRecords();
        var (victim, victimThread) = g.Running(0x3000, "notepad.exe");
        var outP = g.Sample.U64(0);
        var ph = g.Sample.AddHandle(victim.Eprocess);
        g.Call("open", "NtOpenProcess", [outP, 0x1FFFFF, g.Sample.ObjectAttributes(null), g.Sample.ClientId(0x3000, 0)],
            () => g.Sample.Tables.WriteU64(outP, ph));
        var outT = g.Sample.U64(0);
        var th = g.Sample.AddHandle(victimThread.Ethread);
        g.Call("open thread", "NtOpenThread", [outT, 0x1FFFFF, g.Sample.ObjectAttributes(null), g.Sample.ClientId(0x3000, 0x3004)],
            () => g.Sample.Tables.WriteU64(outT, th));
        g.Call("suspend", "NtSuspendThread", [th, g.Sample.U64(0)]);
        g.Write("write", ph, 0x200);
        g.Call("context", "NtSetContextThread", [th, g.Sample.UserAlloc(0x4d0)]);
        g.Call("resume", "NtResumeThread", [th, g.Sample.U64(0)]);
        var r = Report(g);
        StepsAre(Technique(r, "T1055.003"), g, ("suspended", "suspend"), ("written", "write"), ("context set", "context"), ("resumed", "resume"));
        r.Injections.SelectMany(i => i.Catalogue).ShouldNotContain(t => t.Attack == "T1055.012");
    }

    [Fact]
    public void An_apc_into_a_suspended_child_is_early_bird_and_into_an_existing_thread_plain_apc_injection()
    {
        var g = new WindowsGuestRecords();
        var (_, _, ph, th) = g.CreateProcess(0x2000, "svchost.exe", suspended: true);
        g.Write("write", ph, 0x1000);
        g.Call("apc", "NtQueueApcThread", [th, 0x40_1000, 0, 0, 0]);
        g.Call("resume", "NtResumeThread", [th, g.Sample.U64(0)]);
        var (victim, victimThread) = g.Running(0x3000, "notepad.exe");
        var vt = g.Sample.AddHandle(victimThread.Ethread);
        var vp = g.Sample.AddHandle(victim.Eprocess);
        g.Write("write2", vp, 0x1000);
        g.Call("apc2", "NtQueueApcThread", [vt, 0x40_1000, 0, 0, 0]);
        var r = Report(g);
        var techniques = r.Injections.SelectMany(i => i.Catalogue).ToList();
        var early = techniques.Single(t => t.Technique == "early bird APC injection");
        early.Attack.ShouldBe("T1055.004");
        StepsAre(early, g, ("created suspended", "create"), ("written", "write"), ("APC queued", "apc"), ("resumed", "resume"));
        StepsAre(techniques.Single(t => t.Technique == "APC injection"), g, ("written", "write2"), ("APC queued", "apc2"));
        techniques.ShouldNotContain(t => t.Attack == "T1055.012"); // the early bird is not taken for hollowing
    }

    [Fact]
    public void A_remote_thread_after_a_write_is_PE_injection_T1055_002_naming_the_victim()
    {
        var g = new WindowsGuestRecords();
        var (victim, _) = g.Running(0x3000, "explorer.exe");
        var vp = g.Sample.AddHandle(victim.Eprocess);
        g.Call("alloc", "NtAllocateVirtualMemory", [vp, g.Sample.U64(0), 0, g.Sample.U64(0x2000), 0x3000, 0x40]);
        g.Write("write", vp, 0x2000);
        var outT = g.Sample.U64(0);
        g.Call("thread", "NtCreateThreadEx", [outT, 0x1FFFFF, 0, vp, 0x40_0000, 0, 0, 0, 0, 0, 0],
            () => g.Sample.Tables.WriteU64(outT, g.Sample.AddHandle(victim.AddThread(0x3010).Ethread)));
        var r = Report(g);
        StepsAre(Technique(r, "T1055.002"), g, ("allocated", "alloc"), ("written", "write"), ("remote thread", "thread"));
        r.InjectedThreads.ShouldContain(t => t.Tid == "3010");
    }

    [Fact]
    public void Linux_ptrace_proc_mem_and_process_vm_writev_have_their_sub_techniques_and_steps()
    {
        var ptrace = TestLogs.Report(TestLogs.Fixture("linux-persistence.jsonl"), "mal").Injections.SelectMany(i => i.Catalogue)
            .Single(t => t.Technique == "ptrace injection");
        ptrace.Attack.ShouldBe("T1055.008");
        ptrace.Steps.Single(s => s.Step == "registers set").Records.ShouldNotBeEmpty();
        var procMem = TestLogs.Report(TestLogs.Fixture("linux-procmem.jsonl"), "memw").Injections.Single().Catalogue;
        procMem.Single(t => t.Technique == "/proc/PID/mem injection").Attack.ShouldBe("T1055.009");
        procMem.Single(t => t.Technique == "process_vm_writev injection").Steps.Single().Records.ShouldNotBeEmpty();
    }

    [Fact]
    public void A_dll_path_written_for_a_remote_thread_is_DLL_injection_T1055_001()
    {
        // A CAPE-shaped report (the importer's input): WriteProcessMemory's Buffer is the DLL's path.
        static string Call(string ts, string api, string args) =>
            "{\"timestamp\": \"2024-01-01 00:00:0" + ts + ",000\", \"thread_id\": \"7\", \"api\": \"" + api + "\", \"return\": \"0x1\", "
            + "\"arguments\": [" + args + "]}";
        static string Arg(string name, string value) => "{\"name\": \"" + name + "\", \"value\": \"" + value + "\"}";
        var calls = string.Join(", ",
            Call("1", "NtOpenProcess", Arg("ProcessHandle", "0x44") + ", " + Arg("ProcessIdentifier", "300")),
            Call("2", "WriteProcessMemory", Arg("ProcessHandle", "0x44") + ", " + Arg("Buffer", "C:\\\\u\\\\evil.dll") + ", " + Arg("BufferLength", "0x14")),
            Call("3", "CreateRemoteThread", Arg("ProcessHandle", "0x44") + ", " + Arg("ThreadHandle", "0x48") + ", " + Arg("ThreadId", "308")));
        var victim = "{\"process_id\": 300, \"parent_id\": 4, \"process_name\": \"explorer.exe\", \"calls\": [" + Call("0", "NtClose", "") + "]}";
        var sample = "{\"process_id\": 200, \"parent_id\": 4, \"process_name\": \"s.exe\", \"calls\": [" + calls + "]}";
        var path = Path.Combine(Path.GetTempPath(), $"alkanet-dll-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, "{\"behavior\": {\"processes\": [" + sample + ", " + victim + "]}}");
        try
        {
            var r = TestLogs.Report(path, "200");
            var t = r.Injections.Single().Catalogue.Single();
            (t.Technique, t.Attack).ShouldBe(("DLL injection by remote thread", "T1055.001"));
            t.Steps.Select(s => s.Records.Count).ShouldAllBe(n => n == 1);
            r.Findings.ShouldContain(f => f.Attack.Any(a => a.Id == "T1055.001"));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
