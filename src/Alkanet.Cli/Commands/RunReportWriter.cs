using System.Text.Json;
using Alkanet.Analysis.Importers;
using Alkanet.Analysis.Model;
using Alkanet.Analysis.Output;
using Alkanet.Analysis.Rules;

namespace Alkanet.Cli.Commands;

/// <summary>The last step of <c>alkanet run</c>: the meta sidecar naming the sample, then the report tool on the
/// run's log (DIR/report.md, .html, .json). Lives in the CLI so the tracer (Vmm) does not depend on Analysis.</summary>
internal static class RunReportWriter
{
    /// <summary>Writes LOG.meta.json = {"sample": NAME}: the report tool (and <c>alkanet report LOG</c>) reads it, so no --sample is needed.</summary>
    public static string WriteMeta(string tracePath, string sampleProcessName)
    {
        var path = tracePath + ".meta.json";
        var tmp = path + ".tmp";
        using (var fs = File.Create(tmp))
        using (var w = new Utf8JsonWriter(fs, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("sample", sampleProcessName);
            w.WriteEndObject();
        }
        File.Move(tmp, path, overwrite: true);
        return path;
    }

    public sealed record Outputs(Report Report, string Markdown, string MarkdownPath, string HtmlPath, string JsonPath);

    /// <summary>Writes the report and prints it (Markdown, then where the files are); false, with the reason on
    /// <paramref name="error"/>, when no report can be made (a stopped or filtered run may not hold the sample at all:
    /// the log is still the run's result).</summary>
    public static bool WriteAndPrint(string tracePath, TimeSpan? longSleep, TextWriter output, TextWriter error)
    {
        try
        {
            var report = Write(tracePath, longSleep);
            output.WriteLine();
            output.Write(report.Markdown);
            output.WriteLine();
            output.WriteLine($"report: {report.MarkdownPath}, {report.HtmlPath}, {report.JsonPath} ({report.Report.Findings.Count} finding(s))");
            return true;
        }
        catch (CommandFailedException e)
        {
            error.WriteLine($"alkanet: no report: {e.Message}");
            return false;
        }
    }

    /// <summary>Builds the report of <paramref name="tracePath"/> (the sample from its meta sidecar) and writes the three files beside it.</summary>
    public static Outputs Write(string tracePath, TimeSpan? longSleep = null)
    {
        var analyzer = new Analyzer(longSleep is { } ls ? new AnalyzerOptions { LongSleep = ls } : null);
        var read = LogInput.Read(tracePath, InputFormat.Alkanet, analyzer, skipBad: false);
        var input = new ReportInput { Files = [tracePath], Format = "alkanet", Records = read.Records, SkippedRecords = read.Skipped };
        var (spec, chosenBy) = ReportCommand.ChooseSample(null, tracePath, read.SuggestedSample);
        if (spec is null) throw new CommandFailedException($"{tracePath}.meta.json: no sample named; cannot write the report");
        SampleScope scope;
        try { scope = SampleScope.Resolve(analyzer, spec); }
        catch (SampleNotFoundException ex) { throw new CommandFailedException($"report: {ex.Message}"); }
        var report = ReportBuilder.Build(analyzer, scope, new ReportOptions { Rules = RuleSet.LoadDefault(), ChosenBy = chosenBy }, input);
        var dir = Path.GetDirectoryName(Path.GetFullPath(tracePath))!;
        var md = ReportWriters.ToMarkdown(report);
        var outputs = new Outputs(report, md, Path.Combine(dir, "report.md"), Path.Combine(dir, "report.html"), Path.Combine(dir, "report.json"));
        ReportCommand.WriteOutput(outputs.JsonPath, ReportWriters.ToJson(report), TextWriter.Null);
        ReportCommand.WriteOutput(outputs.HtmlPath, HtmlReportWriter.Write(report), TextWriter.Null);
        ReportCommand.WriteOutput(outputs.MarkdownPath, md, TextWriter.Null);
        return outputs;
    }
}
