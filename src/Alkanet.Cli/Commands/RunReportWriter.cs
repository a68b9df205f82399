using Alkanet.Analysis.Evidence;
using Alkanet.Analysis.Importers;
using Alkanet.Analysis.Model;
using Alkanet.Analysis.Output;
using Alkanet.Analysis.Pipeline;

namespace Alkanet.Cli.Commands;

/// <summary>The last step of <c>alkanet run</c>: the meta sidecar naming the sample, then the report tool on the
/// run's log (DIR/report.md, .html, .json). Lives in the CLI so the tracer (Vmm) does not depend on Analysis.</summary>
internal static class RunReportWriter
{
    /// <summary>Writes LOG.meta.json = {"sample": NAME}: the report tool (and <c>alkanet report LOG</c>) reads it, so no --sample is
    /// needed.</summary>
    public static string WriteMeta(string tracePath, string sampleProcessName) => MetaSidecar.Write(tracePath, sampleProcessName);

    /// <param name="NotStored">Artifact contents the disk did not take (artifacts.json says which and why).</param>
    public sealed record Outputs(Report Report, string Markdown, string MarkdownPath, string HtmlPath, string JsonPath, string ArtifactsPath,
        int NotStored);

    /// <summary>Writes the report and prints it (Markdown, then where the files are); false, with the reason on
    /// <paramref name="error"/>, when no report can be made (a stopped or filtered run may not hold the sample at all:
    /// the log is still the run's result).</summary>
    public static bool WriteAndPrint(string tracePath, TimeSpan? longSleep, TextWriter output, TextWriter error, bool droppedFilesOfAll = false,
        YaraRules? yara = null, IReadOnlyList<string>? screenshots = null, DroppedFileLimits? limits = null)
    {
        try
        {
            var report = Write(tracePath, longSleep, droppedFilesOfAll, yara, screenshots, limits);
            output.WriteLine();
            output.Write(report.Markdown);
            output.WriteLine();
            output.WriteLine($"report: {report.MarkdownPath}, {report.HtmlPath}, {report.JsonPath} ({report.Report.Findings.Count} finding(s))");
            output.WriteLine($"artifacts: {report.ArtifactsPath} ({report.Report.DroppedFiles.Count} dropped file(s), "
                + $"{report.Report.InjectedMemory.Count} injected region(s))");
            if (report.NotStored > 0)
                error.WriteLine($"alkanet: {report.NotStored} artifact content(s) could not be written " +
                    $"(see \"store_error\" in {report.ArtifactsPath})");
            return true;
        }
        catch (CommandFailedException e)
        {
            error.WriteLine($"alkanet: no report: {e.Message}");
            return false;
        }
    }

    /// <summary>Builds the report of <paramref name="tracePath"/> (the sample from its meta sidecar) and writes the three files beside it,
    /// with the dropped files (files/SHA256, artifacts.json).</summary>
    /// <param name="screenshots">The run's screenshots (relative to the trace's folder) for the report to show.</param>
    public static Outputs Write(string tracePath, TimeSpan? longSleep = null, bool droppedFilesOfAll = false, YaraRules? yara = null,
        IReadOnlyList<string>? screenshots = null, DroppedFileLimits? limits = null)
    {
        Report report;
        try
        {
            var source = ReportSource.FromFiles([tracePath], InputFormat.Alkanet);
            report = ReportPipeline.Run(source,
                new ReportPipelineOptions { LongSleep = longSleep, DroppedFilesOfAll = droppedFilesOfAll, Yara = yara, CaptureLimits = limits });
        }
        catch (SampleNotFoundException ex)
        {
            throw new CommandFailedException(ex.Spec is null
                ? $"{MetaSidecar.PathOf(tracePath)}: no sample named; cannot write the report"
                : $"report: {ex.Message}");
        }
        catch (Exception ex) when (ex is SidecarFormatException or YaraRulesException)
        {
            throw new CommandFailedException(ex.Message);
        }
        report.Screenshots = screenshots is { Count: > 0 } ? [.. screenshots] : null;
        var dir = Path.GetDirectoryName(Path.GetFullPath(tracePath))!;
        var md = ReportFormats.Write(report, ReportFormat.Md);
        int notStored;
        try { notStored = ArtifactStore.Write(dir, report.DroppedFileContent, report.InjectedMemoryContent); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CommandFailedException($"artifacts: {ex.Message}");
        }
        var outputs = new Outputs(report, md, Path.Combine(dir, "report.md"), Path.Combine(dir, "report.html"), Path.Combine(dir, "report.json"),
            Path.Combine(dir, ArtifactStore.IndexName), notStored);
        ReportCommand.WriteOutput(outputs.JsonPath, ReportFormats.Write(report, ReportFormat.Json), TextWriter.Null);
        ReportCommand.WriteOutput(outputs.HtmlPath, ReportFormats.Write(report, ReportFormat.Html), TextWriter.Null);
        ReportCommand.WriteOutput(outputs.MarkdownPath, md, TextWriter.Null);
        return outputs;
    }
}
