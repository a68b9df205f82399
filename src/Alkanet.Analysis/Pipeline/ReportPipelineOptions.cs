using Alkanet.Analysis.Rules;

namespace Alkanet.Analysis.Pipeline;

/// <summary>How the report is made: which sample, against which baseline, with which rules.</summary>
public sealed record ReportPipelineOptions
{
    /// <summary>The sample (name, pid, <c>#SEQ</c>); null: the sidecar's, else the one the input names.</summary>
    public string? Sample { get; init; }

    /// <summary>Where <see cref="Sample"/> came from, as the report says it (<c>--sample</c>, the page...).</summary>
    public string SampleChosenBy { get; init; } = "--sample";

    /// <summary>Logs of the same guest without the sample (any format, read like the inputs): behaviour seen there too is left out.</summary>
    public IReadOnlyList<string> Baselines { get; init; } = [];

    /// <summary>The analyzer's long-sleep threshold; null: its default.</summary>
    public TimeSpan? LongSleep { get; init; }

    /// <summary>The rules; null: the shipped ones.</summary>
    public RuleSet? Rules { get; init; }

    /// <summary>True: dropped files of every process (<c>--capture all</c>); false: the sample's processes only.</summary>
    public bool DroppedFilesOfAll { get; init; }

    /// <summary>The dropped-file capture's per-file and per-run caps (<c>--capture-per-file</c>, <c>--capture-per-run</c>); null: defaults.</summary>
    public Evidence.DroppedFileLimits? CaptureLimits { get; init; }

    /// <summary>YARA rules for the dropped files and injected memory (<c>--yara</c>), loaded (and so checked) by the caller.</summary>
    public Evidence.YaraRules? Yara { get; init; }

    /// <summary>The run's network.json (docs/NETWORK.md) for the Network section; a malformed one stops the report. Null: the
    /// network.json beside the first log when there is one (malformed: the section says why, the rest of the report stands).</summary>
    public string? Network { get; init; }

    /// <summary>(file, fraction of it read) while an input or baseline file is read.</summary>
    public Action<string, double>? Progress { get; init; }

    public CancellationToken Cancellation { get; init; }
}
