using System.CommandLine;
using System.Text.Json;
using Alkanet.Analysis.Compare;
using Alkanet.Analysis.Importers;
using Alkanet.Analysis.Model;
using Alkanet.Analysis.Output;
using Alkanet.Analysis.Rules;
using Spectre.Console;

namespace Alkanet.Cli.Commands;

/// <summary><c>alkanet report LOG</c>: what the sample did — process tree, spread, behaviour, rule findings.</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("LOG") { Description = "Log file(s) of one run: Alkanet JSON Lines (.gz ok), DRAKVUF JSON lines, or a CAPE report.json.", Arity = ArgumentArity.OneOrMore };
        var sample = new Option<string?>("--sample", "-s") { Description = "The sample: a process name (a.exe), a pid (decimal, or 0x hex as in the log), or #SEQ from the process list. Default: LOG.meta.json's \"sample\", or the analysed process of a CAPE report.", HelpName = "NAME|PID|#SEQ" };
        var format = new Option<string>("--format", "-f") { Description = "Output: md (default), json, html, vt (VirusTotal behaviour-summary shape).", DefaultValueFactory = _ => "md" };
        format.AcceptOnlyFromAmong("md", "json", "html", "vt");
        var output = new Option<string?>("--output", "-o") { Description = "Write to this file instead of standard output.", HelpName = "FILE" };
        var baseline = new Option<string[]>("--baseline") { Description = "A log of the same guest without the sample; behaviour seen there too is left out (repeatable).", AllowMultipleArgumentsPerToken = false, HelpName = "CLEAN_LOG" };
        var rules = new Option<string?>("--rules") { Description = "A directory of extra YAML rules (same id replaces a shipped rule).", HelpName = "DIR" };
        var from = new Option<string>("--from") { Description = "Input format: auto (default), alkanet, drakvuf, cape.", DefaultValueFactory = _ => "auto" };
        from.AcceptOnlyFromAmong("auto", "alkanet", "drakvuf", "cape");
        var skipBad = new Option<bool>("--skip-bad") { Description = "Count and skip malformed records instead of stopping." };
        var noProgress = new Option<bool>("--no-progress") { Description = "No progress bar (it is shown only on a terminal anyway)." };
        var cmd = new Command("report", "Report what a sample did: process tree, spread into other processes, characteristic behaviour and rule findings (ATT&CK).")
        {
            files, sample, format, output, baseline, rules, from, skipBad, noProgress,
        };
        cmd.SetAction(parse =>
        {
            var inputFormat = Enum.Parse<InputFormat>(parse.GetValue(from)!, ignoreCase: true);
            RuleSet ruleSet;
            try { ruleSet = RuleSet.LoadDefault(parse.GetValue(rules)); }
            catch (RuleFormatException ex) { throw new CommandFailedException(ex.Message); }

            var paths = parse.GetValue(files)!;
            var analyzer = new Analyzer();
            var input = new ReportInput { Files = [.. paths] };
            string? suggested = null;
            foreach (var path in paths)
            {
                var result = ReadWithProgress(path, inputFormat, analyzer, parse.GetValue(skipBad), !parse.GetValue(noProgress));
                input.Format = result.Format.ToString().ToLowerInvariant();
                input.Records += result.Records;
                input.SkippedRecords += result.Skipped;
                input.SkippedErrors.AddRange(result.SkippedErrors);
                suggested ??= result.SuggestedSample;
            }

            var (spec, chosenBy) = ChooseSample(parse.GetValue(sample), paths[0], suggested);
            if (spec is null) throw new UsageException(SampleNotFoundException.Describe(null, SampleScope.Candidates(analyzer)));
            SampleScope scope;
            try { scope = SampleScope.Resolve(analyzer, spec); }
            catch (SampleNotFoundException ex) { throw new UsageException(ex.Message); }

            BaselineSet? baselineSet = null;
            var baselines = parse.GetValue(baseline) ?? [];
            if (baselines.Length > 0)
            {
                baselineSet = new BaselineSet();
                foreach (var b in baselines)
                {
                    var clean = new Analyzer();
                    ReadWithProgress(b, InputFormat.Auto, clean, parse.GetValue(skipBad), !parse.GetValue(noProgress));
                    baselineSet.AddFrom(clean);
                    baselineSet.Files.Add(b);
                }
            }
            var report = ReportBuilder.Build(analyzer, scope, new ReportOptions { Rules = ruleSet, Baseline = baselineSet, ChosenBy = chosenBy }, input);
            var text = parse.GetValue(format) switch
            {
                "json" => ReportWriters.ToJson(report),
                "html" => HtmlReportWriter.Write(report),
                "vt" => BehaviourSummary.FromReport(report).ToVirusTotalJson(),
                _ => ReportWriters.ToMarkdown(report),
            };
            WriteOutput(parse.GetValue(output), text, parse.InvocationConfiguration.Output);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    internal static void WriteOutput(string? path, string text, TextWriter stdout)
    {
        if (path is null || path == "-")
        {
            stdout.Write(text);
            if (!text.EndsWith('\n')) stdout.WriteLine();
            return;
        }
        // Written beside and renamed, so a failure leaves nothing half-written.
        var full = Path.GetFullPath(path);
        var tmp = full + ".tmp";
        File.WriteAllText(tmp, text);
        File.Move(tmp, full, overwrite: true);
    }

    /// <summary>--sample wins; then LOG.meta.json's "sample" (written beside a log by whoever started the run); then what the importer knows.</summary>
    internal static (string? Spec, string ChosenBy) ChooseSample(string? option, string firstLog, string? suggested)
    {
        if (!string.IsNullOrWhiteSpace(option)) return (option, "--sample");
        var sidecar = firstLog + ".meta.json";
        if (File.Exists(sidecar))
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(sidecar));
                if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("sample", out var s) && s.ValueKind == JsonValueKind.String)
                    return (s.GetString(), Path.GetFileName(sidecar));
            }
            catch (JsonException ex)
            {
                throw new CommandFailedException($"{sidecar}: not JSON: {ex.Message}");
            }
        }
        return suggested is not null ? (suggested, "the input (analysed process)") : (null, "");
    }

    internal static LogInput.Result ReadWithProgress(string path, InputFormat format, Analyzer analyzer, bool skipBad, bool allowProgress)
    {
        var show = allowProgress && path != "-" && !Console.IsErrorRedirected && File.Exists(path) && new FileInfo(path).Length > 8 << 20;
        if (!show) return LogInput.Read(path, format, analyzer, skipBad);
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        LogInput.Result? result = null;
        console.Progress().AutoClear(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Path.GetFileName(path), maxValue: 1000);
                result = LogInput.Read(path, format, analyzer, skipBad, f => task.Value = f * 1000);
            });
        return result!;
    }
}
