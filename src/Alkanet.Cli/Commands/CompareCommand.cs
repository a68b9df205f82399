using System.CommandLine;
using System.Text.Json;
using Alkanet.Analysis.Compare;
using Alkanet.Analysis.Output;

namespace Alkanet.Cli.Commands;

/// <summary><c>alkanet compare REPORT REFERENCE</c>: how a report's behaviour matches another sandbox's published behaviour.</summary>
internal static class CompareCommand
{
    public static Command Create()
    {
        var report = new Argument<string>("REPORT") { Description = "An Alkanet report (alkanet report --format json or --format vt)." };
        var reference = new Argument<string>("REFERENCE") {
            Description = "A VirusTotal file-behaviour summary JSON, a CAPE report.json (its behavior.summary), or another report." };
        var json = new Option<bool>("--json") { Description = "Print the comparison as JSON." };
        var show = new Option<int>("--show") { Description = "Missed/extra items listed per category.",
            DefaultValueFactory = _ => 10, HelpName = "N" };
        var output = new Option<string?>("--output", "-o") { Description = "Write to this file instead of standard output.", HelpName = "FILE" };
        var cmd = new Command("compare",
            "Compare a report with a reference behaviour summary: matched, missed and extra items per category, precision and recall.")
        {
            report, reference, json, show, output,
        };
        cmd.SetAction(parse =>
        {
            BehaviourSummary mine, theirs;
            try
            {
                mine = BehaviourSummary.Load(parse.GetValue(report)!);
                theirs = BehaviourSummary.Load(parse.GetValue(reference)!);
            }
            catch (InvalidDataException ex) { throw new CommandFailedException(ex.Message); }
            catch (FileNotFoundException ex) { throw new CommandFailedException($"{ex.FileName}: not found"); }
            var comparison = Comparison.Of(mine, theirs);
            var text = parse.GetValue(json)
                ? JsonSerializer.Serialize(comparison, ReportWriters.Json)
                : comparison.ToText(parse.GetValue(show));
            ReportCommand.WriteOutput(parse.GetValue(output), text, parse.InvocationConfiguration.Output);
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
