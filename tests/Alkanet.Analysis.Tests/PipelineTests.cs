using Alkanet.Analysis.Importers;
using Alkanet.Analysis.Model;
using Alkanet.Analysis.Output;
using Alkanet.Analysis.Pipeline;
using Alkanet.Analysis.Rules;

namespace Alkanet.Analysis.Tests;

/// <summary>The one report pipeline (inputs + options → report) against the steps the report command, the run's
/// report step and the logger's page each used to compose themselves.</summary>
public class PipelineTests
{
    private static string Cape(string prefix) => Directory.GetFiles(TestLogs.Fixture("cape"), prefix + "*.json.gz").Single();

    /// <summary>The sequence as <c>alkanet report</c> wrote it before the pipeline: read every file, choose the sample
    /// (option, else the importer's), scope, read the baselines, build with the shipped rules.</summary>
    private static Report Before(string[] paths, string? sample, string[] baselines, bool skipBad = false)
    {
        var a = new Analyzer();
        var input = new ReportInput { Files = [.. paths] };
        string? suggested = null;
        foreach (var path in paths)
        {
            var r = LogInput.Read(path, InputFormat.Auto, a, skipBad);
            input.Format = r.Format.ToString().ToLowerInvariant();
            input.Records += r.Records;
            input.SkippedRecords += r.Skipped;
            input.SkippedErrors.AddRange(r.SkippedErrors);
            suggested ??= r.SuggestedSample;
        }
        var (spec, chosenBy) = sample is not null ? (sample, "--sample") : (suggested!, "the input (analysed process)");
        var scope = SampleScope.Resolve(a, spec);
        BaselineSet? baseline = null;
        if (baselines.Length > 0)
        {
            baseline = new BaselineSet();
            foreach (var b in baselines)
            {
                var clean = new Analyzer();
                LogInput.Read(b, InputFormat.Auto, clean, skipBad);
                baseline.AddFrom(clean);
                baseline.Files.Add(b);
            }
        }
        return ReportBuilder.Build(a, scope, new ReportOptions { Rules = RuleSet.LoadDefault(), Baseline = baseline, ChosenBy = chosenBy }, input);
    }

    public static TheoryData<string, string?, string?, bool> Recorded => new()
    {
        { "windows-injection.jsonl", "sample.exe", null, false },
        { "windows-injection.jsonl", "sample.exe", "windows-baseline.jsonl", false },
        { "windows-apc-section.jsonl", "#3", null, false },
        { "linux-persistence.jsonl", "mal", null, false },
        { "linux-procmem.jsonl", "memw", null, false },
        { "drakvuf-sample.jsonl", "drop.exe", null, true },
        { "cape/d469", null, null, false },
        { "cape/55dc", null, null, false },
    };

    private static string Input(string name) => name.StartsWith("cape/", StringComparison.Ordinal) ? Cape(name[5..]) : TestLogs.Fixture(name);

    [Theory]
    [MemberData(nameof(Recorded))]
    public void A_recorded_log_gives_the_same_report_as_the_steps_did(string log, string? sample, string? baseline, bool skipBad)
    {
        var path = Input(log);
        string[] baselines = baseline is null ? [] : [TestLogs.Fixture(baseline)];
        var report = ReportPipeline.Run(ReportSource.FromFiles([path], skipBad: skipBad),
            new ReportPipelineOptions { Sample = sample, Baselines = baselines });
        var before = Before([path], sample, baselines, skipBad);
        report.Processes.ShouldNotBeEmpty();
        (report.Behaviour.Count + report.Injections.Count).ShouldBeGreaterThan(0);
        ReportWriters.ToJson(report).ShouldBe(ReportWriters.ToJson(before));
        foreach (var format in Enum.GetValues<ReportFormat>()) ReportFormats.Write(report, format).ShouldNotBeNullOrWhiteSpace();
        ReportFormats.Write(report, ReportFormat.Md).ShouldBe(ReportWriters.ToMarkdown(before));
        if (baseline is not null) report.Baseline!.Removed.ShouldBeGreaterThan(0);
        if (sample is null) report.Sample.ChosenBy.ShouldBe("the input (analysed process)");
    }

    [Fact]
    public void A_stream_gives_the_same_report_as_the_file()
    {
        var path = TestLogs.Fixture("windows-injection.jsonl");
        var options = new ReportPipelineOptions { Sample = "sample.exe" };
        var fromStream = ReportPipeline.Run(ReportSource.FromStream(() => File.OpenRead(path), path), options);
        fromStream.Findings.ShouldContain(f => f.Rule == "win-process-hollowing");
        ReportWriters.ToJson(fromStream).ShouldBe(ReportWriters.ToJson(ReportPipeline.Run(ReportSource.FromFiles([path]), options)));
    }

    [Fact]
    public void A_sample_missing_from_the_log_is_the_same_clear_error_as_before()
    {
        var path = TestLogs.Fixture("windows-injection.jsonl");
        var ex = Should.Throw<SampleNotFoundException>(() =>
            ReportPipeline.Run(ReportSource.FromFiles([path]), new ReportPipelineOptions { Sample = "nothere.exe" }));
        ex.Spec.ShouldBe("nothere.exe");
        ex.Message.ShouldBe(Should.Throw<SampleNotFoundException>(() => SampleScope.Resolve(TestLogs.Analyze(path), "nothere.exe")).Message);
        ex.Message.ShouldStartWith("no process matches --sample 'nothere.exe'; candidates:");
        ex.Candidates.ShouldContain(n => n.Name == "sample.exe");

        var none = Should.Throw<SampleNotFoundException>(() => ReportPipeline.Run(ReportSource.FromFiles([path])));
        none.Spec.ShouldBeNull();
        none.Message.ShouldBe(SampleNotFoundException.Describe(null, SampleScope.Candidates(TestLogs.Analyze(path))));
        none.Message.ShouldStartWith("no sample given: choose one with --sample NAME|PID|#SEQ; candidates:");
        none.Message.ShouldContain("sample.exe");
    }

    [Fact]
    public void The_sidecar_names_the_sample_unless_the_option_does_and_a_bad_one_is_named()
    {
        var dir = Directory.CreateTempSubdirectory("alkanet-pipeline-").FullName;
        try
        {
            var log = Path.Combine(dir, "run.jsonl");
            File.Copy(TestLogs.Fixture("linux-persistence.jsonl"), log);
            MetaSidecar.Write(log, "mal").ShouldBe(log + ".meta.json");
            MetaSidecar.ReadSample(log).ShouldBe("mal");
            var bySidecar = ReportPipeline.Run(ReportSource.FromFiles([log]));
            bySidecar.Sample.Spec.ShouldBe("mal");
            bySidecar.Sample.ChosenBy.ShouldBe("run.jsonl.meta.json");
            bySidecar.Findings.ShouldContain(f => f.Rule == "linux-cron");
            var fromStream = ReportPipeline.Run(ReportSource.FromStream(() => File.OpenRead(log), "r1", sidecarOf: log));
            fromStream.Sample.ChosenBy.ShouldBe("run.jsonl.meta.json");

            var byOption = ReportPipeline.Run(ReportSource.FromFiles([log]),
                new ReportPipelineOptions { Sample = "#1", SampleChosenBy = "?sample= (the page)" });
            byOption.Sample.Spec.ShouldBe("#1");
            byOption.Sample.ChosenBy.ShouldBe("?sample= (the page)");

            File.WriteAllText(log + ".meta.json", "{\"sample\": ");
            var bad = Should.Throw<SidecarFormatException>(() => ReportPipeline.Run(ReportSource.FromFiles([log])));
            bad.Message.ShouldStartWith(log + ".meta.json: not JSON:");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Progress_is_reported_for_every_file_read_and_a_cancelled_run_stops()
    {
        var path = TestLogs.Fixture("windows-injection.jsonl");
        var clean = TestLogs.Fixture("windows-baseline.jsonl");
        var seen = new List<(string, double)>();
        ReportPipeline.Run(ReportSource.FromFiles([path]),
            new ReportPipelineOptions { Sample = "sample.exe", Baselines = [clean], Progress = (f, x) => seen.Add((f, x)) });
        seen.ShouldContain((path, 1.0));
        seen.ShouldContain((clean, 1.0));

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var options = new ReportPipelineOptions { Sample = "sample.exe", Cancellation = cancelled.Token };
        Should.Throw<OperationCanceledException>(() => ReportPipeline.Run(ReportSource.FromFiles([path]), options));
        var opened = false;
        Should.Throw<OperationCanceledException>(() => ReportPipeline.Run(ReportSource.FromStream(() =>
        {
            opened = true;
            return File.OpenRead(path);
        }, path), options));
        opened.ShouldBeFalse("a cancelled run stops before opening its input");
        Should.Throw<OperationCanceledException>(() => LogInput.Read(File.OpenRead(path), path, new Analyzer(), cancellationToken: cancelled.Token));
        Should.Throw<OperationCanceledException>(() => LogInput.Read(path, InputFormat.Auto, new Analyzer(), cancellationToken: cancelled.Token));
    }
}
