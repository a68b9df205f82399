using System.CommandLine;
using Alkanet.Analysis.Evidence;
using Alkanet.Analysis.Importers;
using Alkanet.Analysis.Model;
using Alkanet.Analysis.Output;
using Alkanet.Analysis.Pipeline;
using Alkanet.Analysis.Rules;
using Spectre.Console;

namespace Alkanet.Cli.Commands;

/// <summary><c>alkanet report LOG</c>: what the sample did — process tree, spread, behaviour, rule findings.</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("LOG") {
            Description = "Log file(s) of one run: Alkanet JSON Lines (.gz ok), DRAKVUF JSON lines, or a CAPE report.json.",
                Arity = ArgumentArity.OneOrMore };
        var sample = new Option<string?>("--sample", "-s") {
            Description = "The sample: a process name (a.exe), a pid (decimal, or 0x hex as in the log), or #SEQ from the process list. Default: " +
                "LOG.meta.json's \"sample\", or the analysed process of a CAPE report.", HelpName = "NAME|PID|#SEQ" };
        var format = new Option<string>("--format", "-f") {
            Description = "Output: md (default), json, html, vt (VirusTotal behaviour-summary shape), stix (a STIX 2.1 bundle), " +
                "misp (a MISP event).", DefaultValueFactory = _ => "md" };
        format.AcceptOnlyFromAmong("md", "json", "html", "vt", "stix", "misp");
        var output = new Option<string?>("--output", "-o") { Description = "Write to this file instead of standard output.", HelpName = "FILE" };
        var baseline = new Option<string[]>("--baseline") {
            Description = "A log of the same guest without the sample; behaviour seen there too is left out (repeatable).",
                AllowMultipleArgumentsPerToken = false, HelpName = "CLEAN_LOG" };
        var rules = new Option<string?>("--rules") { Description = "A directory of extra YAML rules (same id replaces a shipped rule).",
            HelpName = "DIR" };
        var from = new Option<string>("--from") { Description = "Input format: auto (default), alkanet, drakvuf, cape.",
            DefaultValueFactory = _ => "auto" };
        from.AcceptOnlyFromAmong("auto", "alkanet", "drakvuf", "cape");
        var skipBad = new Option<bool>("--skip-bad") { Description = "Count and skip malformed records instead of stopping." };
        var artifacts = new Option<string?>("--artifacts") { Description = "Also write the dropped files the log captured (files/SHA256 and " +
            "artifacts.json) into this folder (docs/EVIDENCE.md).", HelpName = "DIR" };
        var capture = new Option<string>("--capture") { Description = "Whose dropped files: sample (default, the sample's processes) or all.",
            DefaultValueFactory = _ => "sample" };
        capture.AcceptOnlyFromAmong("sample", "all");
        var yara = new Option<string?>("--yara") { Description = "YARA rules (a file, or a folder of .yar/.yara) run over the dropped files " +
            "and injected memory; a match is a finding.", HelpName = "RULES" };
        var network = new Option<string?>("--network") { Description = "The run's network.json for the Network section (default: the " +
            "network.json beside the first LOG, when there is one).", HelpName = "FILE" };
        var caps = new CaptureCapOptions();
        var noProgress = new Option<bool>("--no-progress") { Description = "No progress bar (it is shown only on a terminal anyway)." };
        var cmd = new Command("report",
            "Report what a sample did: process tree, spread into other processes, characteristic behaviour and rule findings (ATT&CK).")
        {
            files, sample, format, output, baseline, rules, from, skipBad, artifacts, capture, caps.PerFile, caps.PerRun, yara, network,
            noProgress,
        };
        cmd.SetAction(parse =>
        {
            var inputFormat = Enum.Parse<InputFormat>(parse.GetValue(from)!, ignoreCase: true);
            RuleSet ruleSet;
            try { ruleSet = RuleSet.LoadDefault(parse.GetValue(rules)); }
            catch (RuleFormatException ex) { throw new CommandFailedException(ex.Message); }

            YaraRules? yaraRules = null;
            if (parse.GetValue(yara) is { } yaraPath)
            {
                try { yaraRules = YaraRules.Load(yaraPath); }
                catch (YaraRulesException ex) { throw new CommandFailedException(ex.Message); }
            }
            var source = ReportSource.FromFiles(parse.GetValue(files)!, inputFormat, parse.GetValue(skipBad));
            var options = new ReportPipelineOptions
            {
                Sample = parse.GetValue(sample), Baselines = parse.GetValue(baseline) ?? [], Rules = ruleSet,
                DroppedFilesOfAll = parse.GetValue(capture) == "all", Yara = yaraRules, Network = parse.GetValue(network),
                CaptureLimits = caps.Limits(parse),
            };
            Report report;
            try { report = RunWithProgress(source, options, !parse.GetValue(noProgress)); }
            catch (SampleNotFoundException ex) { throw new UsageException(ex.Message); }
            catch (Exception ex) when (ex is SidecarFormatException or YaraRulesException or NetworkFormatException)
            {
                throw new CommandFailedException(ex.Message);
            }
            var text = ReportFormats.Write(report, Enum.Parse<ReportFormat>(parse.GetValue(format)!, ignoreCase: true));
            if (parse.GetValue(artifacts) is { } dir)
            {
                try { ArtifactStore.Write(Directory.CreateDirectory(dir).FullName, report.DroppedFileContent,
                    report.InjectedMemoryContent); }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    throw new CommandFailedException($"--artifacts: {ex.Message}");
                }
            }
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

    /// <summary>The pipeline, with a progress bar on standard error for files over 8 MiB when that is a terminal.</summary>
    private static Report RunWithProgress(ReportSource source, ReportPipelineOptions options, bool allowProgress)
    {
        static bool Large(string path) => path != "-" && File.Exists(path) && new FileInfo(path).Length > 8 << 20;
        if (!allowProgress || Console.IsErrorRedirected || !source.Names.Concat(options.Baselines).Any(Large))
            return ReportPipeline.Run(source, options);
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        Report? report = null;
        console.Progress().AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                void Show(string path, double fraction)
                {
                    if (!Large(path)) return;
                    if (!tasks.TryGetValue(path, out var task)) tasks[path] = task = ctx.AddTask(Path.GetFileName(path), maxValue: 1000);
                    task.Value = fraction * 1000;
                }
                report = ReportPipeline.Run(source, options with { Progress = Show });
            });
        return report!;
    }
}
