using Alkanet.Analysis.Compare;
using Alkanet.Analysis.Importers;
using Alkanet.Analysis.Model;
using Alkanet.Analysis.Output;
using Alkanet.Core.Json;

namespace Alkanet.Analysis.Tests;

public class ImporterTests
{
    private static string CapeFile(string prefix) => Directory.GetFiles(TestLogs.Fixture("cape"), prefix + "*.json.gz").Single();

    [Theory]
    [InlineData("55dc", InputFormat.Cape)]
    [InlineData("d469", InputFormat.Cape)]
    public void Format_is_detected_from_content(string prefix, InputFormat expected)
    {
        LogInput.Detect(CapeFile(prefix)).ShouldBe(expected);
        LogInput.Detect(TestLogs.Fixture("windows-injection.jsonl")).ShouldBe(InputFormat.Alkanet);
        LogInput.Detect(TestLogs.Fixture("drakvuf-sample.jsonl")).ShouldBe(InputFormat.Drakvuf);
    }

    [Fact]
    public void Cape_fsutil_report_becomes_a_process_with_its_calls_and_the_behaviour_cape_summarised()
    {
        var a = new Analyzer();
        var result = LogInput.Read(CapeFile("55dc"), InputFormat.Auto, a);
        result.Records.ShouldBe(116);
        result.SuggestedSample.ShouldBe("0x954"); // pid 2388
        var p = a.Processes.Single();
        p.Name.ShouldBe("fsutil.exe");
        p.Image.ShouldBe("C:\\Users\\cape\\AppData\\Local\\Temp\\fsutil.exe");
        p.ParentPid.ShouldBe(1048UL);
        p.Calls.ShouldBe(116);
        p.Threads.Count.ShouldBe(5);
        p.Exited.ShouldBeTrue(); // NtTerminateProcess(-1)
        // Mapped to the native calls and the shared vocabulary, the behaviour matches CAPE's own summary.
        var report = ReportBuilder.Build(a, SampleScope.Resolve(a, "fsutil.exe"), new ReportOptions(), new ReportInput());
        var mine = BehaviourSummary.FromReport(report);
        var cape = BehaviourSummary.Load(CapeFile("55dc"));
        var c = Comparison.Of(mine, cape);
        c.Categories.Single(x => x.Category == "files_opened").Matched.Count.ShouldBe(4);
        c.Categories.Single(x => x.Category == "registry_keys_opened").Recall!.Value.ShouldBeGreaterThan(0.9);
        mine.Categories["files_opened"].ShouldContain("C:\\Windows\\SysWOW64\\es-ES\\ntdll.dll.mui");
    }

    [Fact]
    public void Cape_hello_amber_report_reads_and_matches_its_registry_summary()
    {
        var a = new Analyzer();
        LogInput.Read(CapeFile("d469"), InputFormat.Cape, a);
        a.Processes.Single().Name.ShouldBe("Hello_Amber.exe");
        var report = ReportBuilder.Build(a, SampleScope.Resolve(a, "Hello_Amber.exe"), new ReportOptions(), new ReportInput());
        var c = Comparison.Of(BehaviourSummary.FromReport(report), BehaviourSummary.Load(CapeFile("d469")));
        var keys = c.Categories.Single(x => x.Category == "registry_keys_opened");
        keys.Recall.ShouldBe(1.0);
        keys.Precision.ShouldBe(1.0);
    }

    [Fact]
    public void Cape_report_without_behaviour_is_a_clear_error()
    {
        var ex = Should.Throw<LogFormatException>(() => LogInput.Read(TestLogs.Fixture("cape-no-behavior.json"), InputFormat.Cape, new Analyzer()));
        ex.Message.ShouldContain("behavior.processes");
        ex.Message.ShouldContain("cape-no-behavior.json");
    }

    [Fact]
    public void Truncated_gzip_is_a_clear_error_naming_the_file()
    {
        var ex = Should.Throw<LogFormatException>(() => LogInput.Read(TestLogs.Fixture("truncated.jsonl.gz"), InputFormat.Auto, new Analyzer()));
        ex.Message.ShouldContain("truncated.jsonl.gz");
    }

    [Fact]
    public void Drakvuf_garbage_line_stops_with_line_number_or_is_counted_when_skipping()
    {
        var path = TestLogs.Fixture("drakvuf-sample.jsonl");
        var ex = Should.Throw<LogFormatException>(() => LogInput.Read(path, InputFormat.Drakvuf, new Analyzer()));
        ex.Error.Line.ShouldBe(1); // the banner line comes first
        var a = new Analyzer();
        var result = LogInput.Read(path, InputFormat.Drakvuf, a, skipBad: true);
        result.Skipped.ShouldBe(3); // banner, garbage, one line of a plugin that is not about system calls
        result.SkippedErrors.ShouldContain(e => e.Contains(":6:"));
        var drop = a.Processes.Single(p => p.Pid == 5000);
        drop.ParentSeq.ShouldBe(a.Processes.Single(p => p.Pid == 3888).Seq);
        drop.CommandLine.ShouldBe("C:\\Users\\u\\drop.exe -x");
        var report = ReportBuilder.Build(a, SampleScope.Resolve(a, "drop.exe"), new ReportOptions(), new ReportInput());
        report.Findings.ShouldContain(f => f.Rule == "win-startup-folder");
        report.Behaviour.ShouldContain(i => i.Kind == "registry_open" && i.Object.StartsWith("HKU\\S-1-5-21"));
    }
}

public class ProgressTests
{
    [Fact]
    public void Progress_is_reported_and_ends_at_one()
    {
        var seen = new List<double>();
        Alkanet.Analysis.Importers.LogInput.Read(TestLogs.Fixture("windows-injection.jsonl"), Alkanet.Analysis.Importers.InputFormat.Alkanet,
            new Alkanet.Analysis.Model.Analyzer(), progress: seen.Add);
        seen.ShouldNotBeEmpty();
        seen[^1].ShouldBe(1.0);
        seen.ShouldAllBe(f => f >= 0 && f <= 1);
    }
}
