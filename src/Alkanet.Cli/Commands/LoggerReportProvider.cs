using Alkanet.Analysis.Model;
using Alkanet.Analysis.Pipeline;
using Alkanet.Analysis.Rules;
using Alkanet.Core.Json;
using Alkanet.Logging.Server;

namespace Alkanet.Cli.Commands;

/// <summary>
/// The report tool behind the logger's page: runs <see cref="ReportPipeline"/>, as <c>alkanet report</c> does, over a run's
/// stored JSON Lines. Lives in the CLI so Logging and Analysis stay independent.
/// </summary>
public sealed class LoggerReportProvider(RuleSet? rules = null) : IRunReportProvider
{
    private readonly RuleSet _rules = rules ?? RuleSet.LoadDefault();

    public Task<RunReport> RenderAsync(RunReportRequest request, CancellationToken cancellationToken) =>
        Task.Run(() => Render(request, cancellationToken), cancellationToken);

    private RunReport Render(RunReportRequest request, CancellationToken cancellationToken)
    {
        var source = ReportSource.FromStream(request.OpenRecords, request.LogPath ?? request.Run.RunId, sidecarOf: request.LogPath);
        var options = new ReportPipelineOptions
        {
            Sample = request.Sample, SampleChosenBy = "?sample= (the page)", Rules = _rules, Cancellation = cancellationToken,
        };
        try
        {
            var report = ReportPipeline.Run(source, options);
            return new RunReport
            {
                Status = RunReportStatus.Ok,
                Json = ReportFormats.Write(report, ReportFormat.Json),
                Html = ReportFormats.Write(report, ReportFormat.Html),
            };
        }
        catch (Exception ex) when (ex is LogFormatException or IOException or SidecarFormatException)
        {
            return new RunReport { Status = RunReportStatus.Failed, Error = ex.Message };
        }
        catch (SampleNotFoundException ex)
        {
            return NeedsSample(ex);
        }
    }

    private static RunReport NeedsSample(SampleNotFoundException ex) => new()
    {
        Status = RunReportStatus.NeedsSample,
        Error = ex.Spec is null
            ? "no sample chosen: pick one of the candidates (or name it in the run file's .meta.json sidecar)"
            : $"no process matches sample '{ex.Spec}'",
        Candidates = [.. ex.Candidates.Select(n =>
            new SampleCandidate($"#{n.Seq}", n.Name, $"0x{n.Pid:x}", n.Calls, n.ParentSource == ParentSource.Creation))],
    };
}
