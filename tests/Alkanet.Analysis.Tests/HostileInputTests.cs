using Alkanet.Analysis.Importers;
using Alkanet.Analysis.Model;
using Alkanet.Analysis.Output;
using Alkanet.Core.Json;

namespace Alkanet.Analysis.Tests;

/// <summary>Logs are data from a hostile guest or another tool: damaged input gives a LogFormatException or a counted
/// skip, never another exception, and what is read still makes a report.</summary>
public class HostileInputTests
{
    [Theory]
    [InlineData("windows-injection.jsonl", InputFormat.Alkanet)]
    [InlineData("linux-persistence.jsonl", InputFormat.Alkanet)]
    [InlineData("drakvuf-sample.jsonl", InputFormat.Drakvuf)]
    public void Randomly_damaged_logs_never_crash(string fixture, InputFormat format)
    {
        var original = File.ReadAllBytes(TestLogs.Fixture(fixture));
        var rnd = new Random(7);
        var dir = Directory.CreateTempSubdirectory().FullName;
        for (var round = 0; round < 60; round++)
        {
            var bytes = (byte[])original.Clone();
            for (var k = 0; k < 1 + round % 8; k++) bytes[rnd.Next(bytes.Length)] = (byte)rnd.Next(256);
            var path = Path.Combine(dir, $"damaged{round}.jsonl");
            File.WriteAllBytes(path, bytes);
            var a = new Analyzer();
            try
            {
                LogInput.Read(path, format, a, skipBad: round % 2 == 0);
            }
            catch (LogFormatException ex)
            {
                ex.Message.ShouldContain(path);
                continue;
            }
            var candidates = SampleScope.Candidates(a);
            if (candidates.Count == 0) continue;
            var scope = SampleScope.Resolve(a, "#" + candidates[0].Seq);
            var report = ReportBuilder.Build(a, scope, new ReportOptions(), new ReportInput());
            ReportWriters.ToMarkdown(report).ShouldNotBeEmpty();
            HtmlReportWriter.Write(report).ShouldContain("</html>");
        }
    }

    [Fact]
    public void A_cape_report_with_odd_shapes_is_read_without_crashing()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory().FullName, "odd.json");
        File.WriteAllText(path, """
            {"behavior": {"processes": [3, "x", {"process_id": "12", "process_name": 5, "calls": [1, {"api": "WriteProcessMemory", "arguments": [7, {"name": "ProcessHandle"}]}, {"api": null}]}],
                          "processtree": [{"pid": "x", "environ": 3, "children": {}}]}}
            """);
        var a = new Analyzer();
        LogInput.Read(path, InputFormat.Cape, a).Records.ShouldBe(2);
        a.Processes.Single().Pid.ShouldBe(12UL);
    }

    [Fact]
    public void Parents_named_by_each_other_do_not_make_a_cycle()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory().FullName, "cycle.jsonl");
        File.WriteAllText(path,
            """{"no":1,"cpu_id":0,"logtype":"ENTER","proc_pid":"10","proc_tid":"11","proc_name":"a","name":"read","sys_no":"0","ret_val":"0","additional_info":{},"proc_ppid":"20"}""" + "\n" +
            """{"no":2,"cpu_id":0,"logtype":"ENTER","proc_pid":"20","proc_tid":"21","proc_name":"b","name":"read","sys_no":"0","ret_val":"0","additional_info":{},"proc_ppid":"10"}""" + "\n");
        var a = TestLogs.Analyze(path);
        var scope = SampleScope.Resolve(a, "a");
        scope.Processes.Count.ShouldBe(2);
        var r = ReportBuilder.Build(a, scope, new ReportOptions(), new ReportInput());
        ReportWriters.ToMarkdown(r).ShouldContain("**a**");
    }
}
