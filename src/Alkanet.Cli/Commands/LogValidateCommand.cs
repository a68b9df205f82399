using System.CommandLine;
using Alkanet.Cli.Output;
using Alkanet.Core.Logs;
using Spectre.Console;

namespace Alkanet.Cli.Commands;

/// <summary><c>alkanet log validate</c>: gap-free, duplicate-free numbering, ENTER/EXIT pairing, field types.</summary>
internal static class LogValidateCommand
{
    public static Command Create()
    {
        var files = LogArguments.Files();
        var json = LogArguments.Json();
        var max = new Option<int>("--max-problems") { Description = "Problems listed per file (all are counted).", DefaultValueFactory = _ => 50 };
        var cmd = new Command("validate",
            "Check each log (one run per file): gap-free and duplicate-free 'no', ENTER/EXIT pairing per thread, " +
            "field types. Exit code 0 when every file is valid, 1 otherwise. LOSS markers are reported but are not errors.")
        {
            files, json, max,
        };
        cmd.SetAction(parse =>
        {
            var maxProblems = parse.GetValue(max);
            if (maxProblems < 0) throw new UsageException("--max-problems must be zero or more");
            var results = parse.GetValue(files)!.Select(f => LogValidator.ValidateFile(f, Math.Max(maxProblems, 1))).ToList();
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json)) ConsoleOutput.WriteJson(output, results.Select(v => ToJson(v, maxProblems)));
            else Render(ConsoleOutput.Ansi(output), results, maxProblems);
            return results.All(v => v.IsValid) ? ExitCodes.Ok : ExitCodes.Failure;
        });
        return cmd;
    }

    private static object ToJson(LogValidator v, int max) => new
    {
        File = v.Source,
        Valid = v.IsValid,
        v.Records,
        Errors = v.ErrorCount,
        v.MissingNumbers,
        v.LostRecords,
        v.UnreturnedEnters,
        v.UnpairedByTracer,
        Problems = v.Problems.Take(max).Select(p => new { Kind = p.Kind.ToString(), p.Line, p.ByteOffset, p.No, p.Message }),
    };

    private static void Render(IAnsiConsole console, List<LogValidator> results, int max)
    {
        foreach (var v in results)
        {
            var verdict = v.IsValid ? "[green]valid[/]" : $"[red]INVALID: {v.ErrorCount:N0} problem(s)[/]";
            console.MarkupLine($"{Markup.Escape(v.Source)}: {verdict}; {v.Records:N0} records" +
                (v.LostRecords > 0 ? $", [yellow]{v.LostRecords:N0} lost (LOSS markers)[/]" : "") +
                (v.UnreturnedEnters > 0 ? $", {v.UnreturnedEnters:N0} ENTER(s) without EXIT (calls that do not return or were running at the end)"
                    : ""));
            foreach (var p in v.Problems.Take(max))
                console.MarkupLine(
                    $"  {Markup.Escape(v.Source)}:{p.Line}: byte offset {p.ByteOffset}: [bold]{p.Kind}[/]: {Markup.Escape(p.Message)}");
            if (v.ProblemCount > max) console.MarkupLine($"  ... and {v.ProblemCount - max:N0} more");
        }
    }
}
