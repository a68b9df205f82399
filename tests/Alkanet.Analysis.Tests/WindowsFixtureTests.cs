using Alkanet.Analysis.Model;
using Alkanet.Analysis.Output;

namespace Alkanet.Analysis.Tests;

public class WindowsFixtureTests
{
    private static readonly string Log = TestLogs.Fixture("windows-injection.jsonl");

    [Fact]
    public void Process_tree_links_children_by_creation_call_and_by_proc_ppid_when_creation_is_missing()
    {
        var a = TestLogs.Analyze(Log);
        var sample = a.Processes.Single(p => p.Name == "sample.exe");
        var explorer = a.Processes.Single(p => p.Name == "explorer.exe");
        sample.ParentSeq.ShouldBe(explorer.Seq);
        sample.ParentSource.ShouldBe(ParentSource.Creation);
        sample.CommandLine.ShouldBe("\"C:\\Users\\u\\Desktop\\sample.exe\" /run");
        sample.Image.ShouldBe("C:\\Users\\u\\Desktop\\sample.exe");
        var orphan = a.Processes.Single(p => p.Name == "orphan.exe");
        orphan.ParentSeq.ShouldBe(sample.Seq);
        orphan.ParentSource.ShouldBe(ParentSource.ProcPpid);
        var hollowed = a.Processes.Single(p => p.Pid == 0x500);
        hollowed.CreatedSuspended.ShouldBeTrue();
        hollowed.ParentSeq.ShouldBe(sample.Seq);
    }

    [Fact]
    public void A_reused_pid_is_a_new_process_with_its_own_sequence_id()
    {
        var a = TestLogs.Analyze(Log);
        var lifetimes = a.Processes.Where(p => p.Pid == 0x200).ToList();
        lifetimes.Count.ShouldBe(2);
        lifetimes[0].Name.ShouldBe("sample.exe");
        lifetimes[0].Exited.ShouldBeTrue();
        lifetimes[1].Name.ShouldBe("svchost.exe");
        lifetimes[1].Seq.ShouldNotBe(lifetimes[0].Seq);
        a.ItemsOf(lifetimes[0].Seq).ShouldNotContain(i => i.Object.Contains("noise.txt"));
        a.ItemsOf(lifetimes[1].Seq).ShouldContain(i => i.Object == "C:\\Windows\\noise.txt");
    }

    [Fact]
    public void Injection_is_followed_through_handles_and_the_remote_thread_is_attributed_to_the_sample()
    {
        var r = TestLogs.Report(Log, "sample.exe");
        var notepad = r.Processes.Single(p => p.Name == "notepad.exe");
        notepad.Role.ShouldBe("injected");
        r.InjectedThreads.ShouldContain(t => t.ProcessSeq == notepad.Seq && t.Tid == "3f0" && t.Technique == "remote thread");
        // What the injected thread did is the sample's; what notepad's own thread did is not.
        r.Behaviour.ShouldContain(i => i.Object == "C:\\Users\\u\\stolen.txt" && i.InjectedThread);
        r.Behaviour.ShouldNotContain(i => i.Object.Contains("notes.txt"));
        var finding = r.Findings.Single(f => f.Rule == "win-inject-remote-thread");
        finding.Records.ShouldBe([23, 25, 27, 29]); // open, allocate, write, remote thread (ENTER numbers)
        finding.Attack.Select(t => t.Id).ShouldContain("T1055");
        finding.Attack.Single(t => t.Id == "T1055").Name.ShouldBe("Process Injection");
    }

    [Fact]
    public void Hollowing_of_a_suspended_child_is_reported_and_not_as_plain_thread_hijacking()
    {
        var r = TestLogs.Report(Log, "sample.exe");
        var f = r.Findings.Single(x => x.Rule == "win-process-hollowing");
        f.Severity.ShouldBe("critical");
        f.Attack.Single().Id.ShouldBe("T1055.012");
        r.Findings.ShouldNotContain(x => x.Rule == "win-thread-hijack");
        r.Findings.ShouldNotContain(x => x.Rule == "win-remote-write"); // the fallback stays quiet when a specific rule matched
        var child = r.Processes.Single(p => p.Pid == "500");
        child.Role.ShouldBe("child");
        r.Behaviour.ShouldContain(i => i.Kind == "network_connect" && i.Object == "203.0.113.7:443");
    }

    [Theory]
    [InlineData("win-run-key", "T1547.001", 13L)]
    [InlineData("win-startup-folder", "T1547.001", 21L)]
    [InlineData("win-scheduled-task", "T1053.005", 53L)]
    [InlineData("win-service-create", "T1543.003", 51L)]
    [InlineData("self-deletion", "T1070.004", 57L)]
    [InlineData("dropped-executable", "T1105", 5L)]
    [InlineData("win-debugger-check", "T1622", 19L)]
    [InlineData("long-sleep", "T1497.003", 17L)]
    public void Each_shipped_rule_fires_with_its_technique_and_proving_records(string rule, string technique, long firstRecord)
    {
        var r = TestLogs.Report(Log, "sample.exe");
        var f = r.Findings.Single(x => x.Rule == rule);
        f.Attack.Select(t => t.Id).ShouldContain(technique);
        f.Records.ShouldContain(firstRecord);
    }

    [Fact]
    public void Registry_paths_are_shown_with_abbreviated_roots_and_autostart_marked()
    {
        var r = TestLogs.Report(Log, "sample.exe");
        var run = r.Behaviour.Single(i => i.Kind == "registry_set" && i.Object.EndsWith("\\Run\\evil", StringComparison.Ordinal));
        run.Object.ShouldStartWith("HKU\\S-1-5-21-1-2-3-1001\\Software");
        run.Tags.ShouldContain("autostart");
        run.Detail.ShouldBe("C:\\Users\\u\\AppData\\Roaming\\evil.exe");
        r.Behaviour.Single(i => i.Kind == "file_write" && i.Object.EndsWith("evil.exe", StringComparison.Ordinal)).Tags.ShouldContain("executable");
    }

    [Fact]
    public void Baseline_removes_behaviour_that_also_happens_without_the_sample()
    {
        var clean = new BaselineSet();
        clean.AddFrom(TestLogs.Analyze(TestLogs.Fixture("windows-baseline.jsonl")));
        var with = TestLogs.Report(Log, "sample.exe");
        var without = TestLogs.Report(Log, "sample.exe", clean);
        with.Behaviour.ShouldContain(i => i.Kind == "mutex_create");
        without.Behaviour.ShouldNotContain(i => i.Kind == "mutex_create");
        without.Baseline!.Removed.ShouldBe(1);
        without.Findings.ShouldNotContain(f => f.Rule == "mutex");
    }

    [Fact]
    public void Unknown_sample_lists_candidate_processes()
    {
        var a = TestLogs.Analyze(Log);
        var ex = Should.Throw<SampleNotFoundException>(() => SampleScope.Resolve(a, "nothere.exe"));
        ex.Message.ShouldContain("sample.exe");
        ex.Message.ShouldContain("created in the log");
    }

    [Fact]
    public void Sample_can_be_chosen_by_pid_hex_or_decimal_or_sequence()
    {
        var a = TestLogs.Analyze(Log);
        var byHex = SampleScope.Resolve(a, "0x200");
        byHex.Roots.Count.ShouldBe(2); // both lifetimes of pid 0x200
        SampleScope.Resolve(a, "512").Roots.ShouldBe(byHex.Roots);
        var seq = a.Processes.First(p => p.Name == "sample.exe").Seq;
        SampleScope.Resolve(a, "#" + seq).Roots.ShouldBe([seq]);
    }
}
