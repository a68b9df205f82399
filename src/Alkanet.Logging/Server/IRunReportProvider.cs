using Alkanet.Logging.Storage;

namespace Alkanet.Logging.Server;

/// <summary>
/// Makes the report of a stored run for the page (docs/LOGGING.md, "The report"). The logger has no analysis
/// of its own: <c>alkanet logger</c> plugs the report tool (Alkanet.Analysis) in through this interface, so the
/// Logging library keeps depending on Core only. Without a provider the page says there is no report tool.
/// </summary>
public interface IRunReportProvider
{
    /// <summary>Analyses the run's records as stored so far and renders the report. Bad input is a
    /// <see cref="RunReportStatus.Failed"/> result, not an exception.</summary>
    Task<RunReport> RenderAsync(RunReportRequest request, CancellationToken cancellationToken);
}

public sealed record RunReportRequest
{
    public required RunInfo Run { get; init; }

    /// <summary>The sample asked for (the page's <c>?sample=</c>, like <c>alkanet report --sample</c>); null:
    /// the provider chooses as the report tool does (the log's <c>.meta.json</c> sidecar, else none).</summary>
    public string? Sample { get; init; }

    /// <summary>Opens the run's committed records as JSON Lines (a consistent prefix of a live run).</summary>
    public required Func<Stream> OpenRecords { get; init; }

    /// <summary>The run's JSON Lines file when the store keeps one (its sidecar <c>FILE.meta.json</c> may name
    /// the sample); null for stores without files.</summary>
    public string? LogPath { get; init; }
}

public enum RunReportStatus
{
    /// <summary><see cref="RunReport.Json"/> and <see cref="RunReport.Html"/> hold the report.</summary>
    Ok,

    /// <summary>No sample was given or none matched: <see cref="RunReport.Candidates"/> lists processes to pick.</summary>
    NeedsSample,

    /// <summary>The log or its sidecar could not be read: <see cref="RunReport.Error"/> says where.</summary>
    Failed,
}

/// <summary>A process the user probably means; <see cref="Spec"/> is what to pass as <c>?sample=</c>.</summary>
public sealed record SampleCandidate(string Spec, string Name, string Pid, long Calls, bool CreatedInLog);

/// <summary>One analysis rendered both ways (the page shows the JSON's findings and the HTML beside them).</summary>
public sealed record RunReport
{
    public required RunReportStatus Status { get; init; }

    /// <summary>The report as <c>alkanet report --format json</c> writes it.</summary>
    public string Json { get; init; } = "";

    /// <summary>The report as <c>alkanet report --format html</c> writes it (a standalone page).</summary>
    public string Html { get; init; } = "";

    public string? Error { get; init; }

    public IReadOnlyList<SampleCandidate> Candidates { get; init; } = [];
}
