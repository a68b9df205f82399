using System.IO.Compression;
using System.Text.Json;
using Alkanet.Analysis.Compare;
using Alkanet.Analysis.Output;

namespace Alkanet.Analysis.Tests;

/// <summary>Issue 15's findings on real CAPE reports (tests/corpus, public test data of capa): lifetimes once, hollowing
/// told as T1055.012 source → target, every remote-thread victim named, decimal pids, command lines compared.</summary>
public class FidelityTests
{
    private const string Dropper = "0000a65749f5902c4d82ffa701198038f0b4870b00a27cfca109f8f933476d82.json.gz";
    private const string Miner = "fb7ade52dc5a1d6128b9c217114a46d0089147610f99f5122face29e429a1e74.json.gz";

    public static TheoryData<string> CapeReports() =>
    [
        TestLogs.Cape("55dcd387"), TestLogs.Cape("d4690038"),
        .. Directory.GetFiles(TestLogs.Corpus("cape"), "*.json.gz").Order(StringComparer.Ordinal),
    ];

    private static List<(ulong Pid, string Name, int Calls)> CapeProcesses(string path)
    {
        using var s = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var doc = JsonDocument.Parse(s);
        return [.. doc.RootElement.GetProperty("behavior").GetProperty("processes").EnumerateArray()
            .Select(p => (p.GetProperty("process_id").GetUInt64(), p.GetProperty("process_name").GetString()!, p.GetProperty("calls").GetArrayLength()))];
    }

    [Theory]
    [MemberData(nameof(CapeReports))]
    public void Every_process_of_a_real_CAPE_report_appears_once_with_its_calls(string path)
    {
        var a = TestLogs.Analyze(path);
        foreach (var (pid, name, calls) in CapeProcesses(path))
        {
            var lifetimes = a.Processes.Where(p => p.Pid == pid).ToList();
            lifetimes.Count.ShouldBe(1, $"pid {pid} ({name})");
            lifetimes[0].Name.ShouldBe(name);
            lifetimes[0].Calls.ShouldBe(calls);
        }
        // No ghost: a node without calls is a process CAPE lists (monitored, silent) or one whose creation call was read.
        var listed = CapeProcesses(path).Select(p => p.Pid).ToHashSet();
        a.Processes.ShouldAllBe(p => p.Name.Length > 0 && (p.Calls > 0 || p.CreatedNo != null || listed.Contains(p.Pid)));
    }

    [Fact]
    public void The_dropper_hollowing_explorer_is_T1055_012_from_jxoqwn_to_explorer_with_every_step()
    {
        var r = TestLogs.Report(TestLogs.Corpus("cape", Dropper), "3052");
        var procs = r.Processes.ToDictionary(p => p.Seq);
        var hollowing = r.Findings.Single(f => f.Attack.Any(t => t.Id == "T1055.012"));
        hollowing.Severity.ShouldBe("critical");
        var ev = hollowing.Evidence.Single();
        (procs[ev.ProcessSeq].ProcessId, procs[ev.TargetSeq!.Value].ProcessId).ShouldBe((1180UL, 1852UL)); // CAPE: jxoqwn.exe(1180) -> explorer.exe(1852)
        var technique = r.Injections.Single(i => i.SourceSeq == ev.ProcessSeq && i.TargetSeq == ev.TargetSeq).Catalogue.Single();
        technique.Attack.ShouldBe("T1055.012");
        foreach (var step in new[] { "created suspended", "written", "resumed" })
            technique.Steps.Single(s => s.Step == step).Records.ShouldNotBeEmpty(step);
        // The write is no longer reported only as the fallback "memory written into another process".
        r.Findings.Where(f => f.Rule == "win-remote-write").SelectMany(f => f.Evidence).ShouldNotContain(e => e.TargetSeq == ev.TargetSeq);
    }

    [Fact]
    public void The_remote_thread_finding_names_every_victim_of_explorer()
    {
        var r = TestLogs.Report(TestLogs.Corpus("cape", Dropper), "3052");
        var procs = r.Processes.ToDictionary(p => p.Seq);
        var victims = r.Injections.Where(i => i.Steps.ContainsKey("thread_create_remote")).Select(i => procs[i.TargetSeq].ProcessId).ToHashSet();
        victims.ShouldContain(1680UL); // CAPE's injection_createremotethread: explorer.exe(1852) -> pyw.exe(1680)
        var finding = r.Findings.Single(f => f.Attack.Any(t => t.Id == "T1055.002"));
        finding.Evidence.Select(e => procs[e.TargetSeq!.Value].ProcessId).ToHashSet().ShouldBe(victims, ignoreOrder: true);
        var md = ReportWriters.ToMarkdown(r);
        foreach (var v in r.Injections.Where(i => i.Steps.ContainsKey("thread_create_remote")))
            md.ShouldContain(v.Target);
    }

    [Fact]
    public void Json_report_carries_decimal_pids_and_the_header_names_the_sample_by_image()
    {
        var r = TestLogs.Report(TestLogs.Corpus("cape", Miner), "0x14bc");
        var json = ReportWriters.ToJson(r);
        json.ShouldContain("\"process_id\": 5308");
        json.ShouldContain("\"pid\": \"14bc\"");
        json.ShouldContain("\"parent_process_id\": 5588");
        var md = ReportWriters.ToMarkdown(r);
        md.ShouldContain("Sample: **X96XSUOJQJ5BRK8R3X1M6OT1.exe** pid 5308 (0x14bc)");
    }

    [Fact]
    public void The_miners_command_line_counts_as_found_whatever_the_quoting_and_path()
    {
        var r = TestLogs.Report(TestLogs.Corpus("cape", Miner), "5308");
        var reference = new BehaviourSummary();
        reference.Add("command_executions", "system.exe -a cryptonight -o stratum+tcp://xmr.pool.minergate.com:45560 -u salvatore.martello@yandex.ru -t 2");
        var c = Comparison.Of(BehaviourSummary.FromReport(r), reference).Categories.Single(x => x.Category == "command_executions");
        c.Matched.Count.ShouldBe(1);
        c.Missed.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("\"C:\\T\\system.exe\" -a x  -o \"y z\"", "system.exe -a x -o \"y z\"")]
    [InlineData("C:\\Windows\\system32\\PING.EXE ping.exe  -n 6 127.0.0.1", "ping.exe -n 6 127.0.0.1")]
    [InlineData("cmd /c \"dir\"", "CMD.EXE /c dir")]
    public void Command_line_keys_ignore_quotes_folders_case_and_a_repeated_program(string a, string b) =>
        CommandLineKey.Of(a).ShouldBe(CommandLineKey.Of(b));

    [Fact]
    public void Command_line_keys_keep_arguments_apart() =>
        CommandLineKey.Of("system.exe -a cryptonight").ShouldNotBe(CommandLineKey.Of("system.exe -a other"));

    [Fact]
    public void A_pid_reused_by_a_later_CAPE_process_entry_is_a_new_lifetime()
    {
        var path = Path.Combine(Path.GetTempPath(), $"alkanet-reuse-{Guid.NewGuid():N}.json");
        static string Entry(string name, string ts) =>
            "{\"process_id\": 100, \"parent_id\": 4, \"process_name\": \"" + name + "\", \"calls\": [{\"timestamp\": \"" + ts
            + "\", \"thread_id\": \"7\", \"api\": \"NtClose\", \"arguments\": [], \"return\": \"0x0\"}]}";
        File.WriteAllText(path, "{\"behavior\": {\"processes\": [" + Entry("a.exe", "2024-01-01 00:00:01,000") + ", "
            + Entry("b.exe", "2024-01-01 00:00:05,000") + "]}}");
        try
        {
            var a = TestLogs.Analyze(path);
            a.Processes.Where(p => p.Pid == 100).Select(p => (p.Name, p.Calls)).ShouldBe([("a.exe", 1L), ("b.exe", 1L)]);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
