using Alkanet.Analysis.Importers;
using Alkanet.Analysis.Model;
using Alkanet.Analysis.Output;
using Alkanet.Analysis.Rules;

namespace Alkanet.Analysis.Pipeline;

/// <summary>
/// The report, from inputs and options: read (and pair) every input into one analysis, choose the sample
/// (option, then the sidecar, then what the input names), scope it, read the baselines, build. <c>alkanet report</c>,
/// <c>alkanet run</c>'s report step and the logger's report page all come through here; writing the result in a
/// format is <see cref="ReportFormats"/>' job.
/// </summary>
public static class ReportPipeline
{
    /// <exception cref="Alkanet.Core.Json.LogFormatException">An input or baseline is malformed (the message says where).</exception>
    /// <exception cref="SampleNotFoundException">No sample was chosen, or none matches; it lists candidates.</exception>
    /// <exception cref="SidecarFormatException">The sidecar is not JSON.</exception>
    /// <exception cref="NetworkFormatException"><see cref="ReportPipelineOptions.Network"/> is malformed (the message says where).</exception>
    /// <exception cref="OperationCanceledException"><see cref="ReportPipelineOptions.Cancellation"/> was signalled.</exception>
    public static Report Run(ReportSource source, ReportPipelineOptions? options = null)
    {
        options ??= new ReportPipelineOptions();
        options.Cancellation.ThrowIfCancellationRequested();
        var defaults = new AnalyzerOptions();
        var analyzer = new Analyzer(new AnalyzerOptions { LongSleep = options.LongSleep ?? defaults.LongSleep, CaptureLimits = options.CaptureLimits });
        var input = new ReportInput { Files = [.. source.Names] };
        var suggested = Read(source, analyzer, input, options);

        var (spec, chosenBy) = ChooseSample(options, source.SidecarOf, suggested);
        if (spec is null) throw new SampleNotFoundException(null, SampleScope.Candidates(analyzer));
        var scope = SampleScope.Resolve(analyzer, spec);

        var reportOptions = new ReportOptions
        {
            Rules = options.Rules ?? RuleSet.LoadDefault(), Baseline = ReadBaselines(options, source.SkipBad), ChosenBy = chosenBy,
            DroppedFilesOfAll = options.DroppedFilesOfAll, Yara = options.Yara, Network = ReadNetwork(source, options),
        };
        return ReportBuilder.Build(analyzer, scope, reportOptions, input);
    }

    /// <summary>The network.json named by the option (malformed: an error), else the one beside the log (malformed: a
    /// section that says why, so a damaged capture summary never costs the rest of the report).</summary>
    private static ReportNetwork? ReadNetwork(ReportSource source, ReportPipelineOptions options)
    {
        if (options.Network is { } named) return NetworkFile.Read(named);
        if (source.OpenStream is not null || NetworkFile.Beside(source.Names[0]) is not { } beside) return null;
        try
        {
            return NetworkFile.Read(beside);
        }
        catch (Exception ex) when (ex is NetworkFormatException or IOException or UnauthorizedAccessException)
        {
            return new ReportNetwork { Source = beside, Error = ex.Message };
        }
    }

    /// <summary>The option wins; then the sidecar of the log; then what the input itself names (CAPE's analysed process).</summary>
    private static (string? Spec, string ChosenBy) ChooseSample(ReportPipelineOptions options, string? sidecarOf, string? suggested)
    {
        if (!string.IsNullOrWhiteSpace(options.Sample)) return (options.Sample, options.SampleChosenBy);
        if (sidecarOf is not null && MetaSidecar.ReadSample(sidecarOf) is { } named)
            return (named, Path.GetFileName(MetaSidecar.PathOf(sidecarOf)));
        return suggested is not null ? (suggested, "the input (analysed process)") : (null, "");
    }

    /// <summary>Reads every input into <paramref name="analyzer"/>, counting into <paramref name="input"/>; returns the
    /// first sample an input names.</summary>
    private static string? Read(ReportSource source, Analyzer analyzer, ReportInput input, ReportPipelineOptions options)
    {
        if (source.OpenStream is { } open)
        {
            var read = LogInput.Read(open(), source.Names[0], analyzer, source.SkipBad, options.Cancellation);
            Count(input, read);
            return read.SuggestedSample;
        }
        if (source.Names.Count > 1 && LogInput.AreDrakvuf(source.Names, source.Format))
        {
            // DRAKVUF Sandbox writes one file per plugin: one log, merged by TimeStamp.
            var progress = options.Progress is { } p ? f => p(source.Names[0], f) : (Action<double>?)null;
            var merged = LogInput.ReadDrakvuf(source.Names, analyzer, source.SkipBad, progress, options.Cancellation);
            Count(input, merged);
            return merged.SuggestedSample;
        }
        string? suggested = null;
        foreach (var path in source.Names)
        {
            var read = ReadFile(path, source.Format, analyzer, source.SkipBad, options);
            Count(input, read);
            suggested ??= read.SuggestedSample;
        }
        return suggested;
    }

    private static void Count(ReportInput input, LogInput.Result read)
    {
        input.Format = read.Format.ToString().ToLowerInvariant();
        input.Records += read.Records;
        input.SkippedRecords += read.Skipped;
        input.SkippedErrors.AddRange(read.SkippedErrors);
    }

    private static BaselineSet? ReadBaselines(ReportPipelineOptions options, bool skipBad)
    {
        if (options.Baselines.Count == 0) return null;
        var baseline = new BaselineSet();
        foreach (var path in options.Baselines)
        {
            var clean = new Analyzer();
            ReadFile(path, InputFormat.Auto, clean, skipBad, options);
            baseline.AddFrom(clean);
            baseline.Files.Add(path);
        }
        return baseline;
    }

    private static LogInput.Result ReadFile(string path, InputFormat format, Analyzer analyzer, bool skipBad, ReportPipelineOptions options)
    {
        var progress = options.Progress is { } p ? f => p(path, f) : (Action<double>?)null;
        return LogInput.Read(path, format, analyzer, skipBad, progress, options.Cancellation);
    }
}
