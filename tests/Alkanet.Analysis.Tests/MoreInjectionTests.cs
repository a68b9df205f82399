namespace Alkanet.Analysis.Tests;

public class MoreInjectionTests
{
    private static readonly string Log = TestLogs.Fixture("windows-apc-section.jsonl");

    [Fact]
    public void Section_mapped_into_another_process_then_an_apc_is_reported_and_the_apc_thread_attributed()
    {
        var r = TestLogs.Report(Log, "#3");
        r.Findings.ShouldContain(f => f.Rule == "win-inject-section-map");
        r.Findings.Single(f => f.Rule == "win-inject-apc").Attack.Single().Id.ShouldBe("T1055.004");
        r.InjectedThreads.ShouldContain(t => t.Tid == "108" && t.Technique == "APC");
        // The APC thread's Run-key write is the sample's, and found by the Run-key rule.
        r.Findings.Single(f => f.Rule == "win-run-key").Evidence.Single().Object.ShouldBe("HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\upd");
    }

    [Fact]
    public void Without_new_tid_the_next_new_thread_of_the_target_runs_the_injected_code()
    {
        var r = TestLogs.Report(Log, "#3");
        r.InjectedThreads.ShouldContain(t => t.Tid == "1f8" && t.Technique == "remote thread");
        r.Behaviour.ShouldContain(i => i.Object.EndsWith("from-injected"));
        r.Behaviour.ShouldNotContain(i => i.Object.EndsWith("svchost-own"));
    }

    [Fact]
    public void Proc_seq_separates_lifetimes_of_one_pid_with_one_name_and_loss_is_counted()
    {
        var a = TestLogs.Analyze(Log);
        a.Processes.Count(p => p.Pid == 0x600).ShouldBe(2);
        a.LostRecords.ShouldBe(5);
        var r = TestLogs.Report(Log, "#3");
        r.Behaviour.ShouldNotContain(i => i.Object.Contains("second.txt"));
    }

    [Fact]
    public void Linux_proc_mem_and_process_vm_writev_are_reported()
    {
        var r = TestLogs.Report(TestLogs.Fixture("linux-procmem.jsonl"), "memw");
        r.Findings.Single(f => f.Rule == "linux-proc-mem").Attack.Single().Id.ShouldBe("T1055.009");
        r.Findings.ShouldContain(f => f.Rule == "linux-vm-writev");
        r.Injections.Single().Steps.Keys.ShouldBe(["procmem_write", "vm_write_remote"], ignoreOrder: true);
    }
}
