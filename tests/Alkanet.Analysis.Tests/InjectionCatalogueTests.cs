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
}
