using Alkanet.Analysis.Events;
using Alkanet.Analysis.Model;
using Alkanet.Analysis.Output;
using Alkanet.Analysis.Rules;
using Alkanet.Core.Json;
using Alkanet.Core.Records;
using Alkanet.Logging.Server;

namespace Alkanet.Cli.Commands;

/// <summary>
/// The report tool behind the logger's page: runs the same pipeline as <c>alkanet report</c> (pairing, analysis,
/// sample scope, rules) over a run's stored JSON Lines. Lives in the CLI so Logging and Analysis stay independent.
/// </summary>
public sealed class LoggerReportProvider(RuleSet? rules = null) : IRunReportProvider
{
    private readonly RuleSet _rules = rules ?? RuleSet.LoadDefault();

    public Task<RunReport> RenderAsync(RunReportRequest request, CancellationToken cancellationToken) =>
        Task.Run(() => Render(request, cancellationToken), cancellationToken);

    private RunReport Render(RunReportRequest request, CancellationToken cancellationToken)
    {
        var name = request.LogPath ?? request.Run.RunId;
        var analyzer = new Analyzer();
        var input = new ReportInput { Files = [name], Format = "alkanet" };
        try
        {
            using var stream = request.OpenRecords();
            using var reader = new JsonLinesReader(stream, name);
            var pairer = new RecordPairer(analyzer, Analyzer.WantsArguments);
            var r = new SyscallRecord();
            while (reader.TryRead(r))
            {
                pairer.Add(r);
                if ((reader.RecordsRead & 0xffff) == 0) cancellationToken.ThrowIfCancellationRequested();
            }
            pairer.Finish();
            input.Records = reader.RecordsRead;
        }
        catch (Exception ex) when (ex is LogFormatException or IOException)
        {
            return Failed(ex.Message);
        }

        string? spec;
        string chosenBy;
        if (request.Sample is not null) (spec, chosenBy) = (request.Sample, "?sample= (the page)");
        else if (request.LogPath is null) (spec, chosenBy) = (null, "");
        else
        {
            try
            {
                (spec, chosenBy) = ReportCommand.ChooseSample(null, request.LogPath, null);
            }
            catch (CommandFailedException ex)
            {
                return Failed(ex.Message);
            }
        }
        if (spec is null) return NeedsSample(null, analyzer);
        SampleScope scope;
        try
        {
            scope = SampleScope.Resolve(analyzer, spec);
        }
        catch (SampleNotFoundException)
        {
            return NeedsSample(spec, analyzer);
        }
        var report = ReportBuilder.Build(analyzer, scope, new ReportOptions { Rules = _rules, ChosenBy = chosenBy }, input);
        return new RunReport { Status = RunReportStatus.Ok, Json = ReportWriters.ToJson(report), Html = HtmlReportWriter.Write(report) };
    }

    private static RunReport Failed(string error) => new() { Status = RunReportStatus.Failed, Error = error };

    private static RunReport NeedsSample(string? spec, Analyzer analyzer)
    {
        var candidates = SampleScope.Candidates(analyzer);
        return new RunReport
        {
            Status = RunReportStatus.NeedsSample,
            Error = spec is null
                ? "no sample chosen: pick one of the candidates (or name it in the run file's .meta.json sidecar)"
                : $"no process matches sample '{spec}'",
            Candidates = [.. candidates.Select(n => new SampleCandidate($"#{n.Seq}", n.Name, $"0x{n.Pid:x}", n.Calls, n.ParentSource == ParentSource.Creation))],
        };
    }
}
