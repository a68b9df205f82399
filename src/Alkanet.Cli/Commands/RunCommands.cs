using System.CommandLine;
using System.Globalization;
using Alkanet.Analysis.Evidence;
using Alkanet.Core.Json;
using Alkanet.Logging.Client;
using Alkanet.Vmm.Guest;
using Alkanet.Vmm.Host;
using Alkanet.Vmm.Live;
using Alkanet.Vmm.Qemu;

namespace Alkanet.Cli.Commands;

/// <summary><c>alkanet run SAMPLE</c> and <c>alkanet run --image DISK --os windows [SAMPLE]</c>: one command path; the
/// launch (the Linux analysis guest or a user's disk image) is the only part that differs.</summary>
internal static class RunCommands
{
    public static Command Create()
    {
        var sample = new Argument<string?>("SAMPLE")
        {
            Description = "The sample: a directory of C sources or a .c file (compiled static), or a static executable or #! script. " +
                "With --image: a Windows program (or folder) put on a read-only second drive under \\alkanet\\ (optional).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var timeout = new Option<string?>("--timeout") { Description = "Stop the guest after this long (e.g. 60s, 2m). Default 60s (10m with " +
            "--image)." };
        var outDir = new Option<string?>("--out") { Description = "Output folder for trace.jsonl (+ .meta.json), run.json, console.log and " +
            "report.md/.html/.json. Default: out/run-SAMPLE-TIME." };
        var firmware = new Option<string>("--firmware") { Description = "bios (PVH boot of the vmlinux, the default) or uefi (OVMF boots the " +
            "EFI-stub kernel).", DefaultValueFactory = _ => "bios" };
        var logger = new Option<string?>("--logger") { Description = "Also stream records to an Alkanet logger at HOST:PORT (alkanet logger); it " +
            "can pause, filter and stop the run.", HelpName = "HOST:PORT" };
        var token = new Option<string?>("--token") { Description = "The logger's token (or --token-file, or ALKANET_LOGGER_TOKEN)." };
        var tokenFile = new Option<string?>("--token-file") { Description = "Read the logger's token from this file." };
        var runId = new Option<string?>("--run-id") { Description = "The run's id on the logger (A-Z a-z 0-9 . _ -). Default: the output folder's " +
            "name." };
        var lossMarkers = new Option<bool>("--loss-markers") { Description = "When the logger falls behind, drop records for it (an explicit LOSS " +
            "record) instead of slowing the guest." };
        var waitForStart = new Option<bool>("--wait-for-start") { Description = "Trace nothing until the logger says start (the guest boots all " +
            "the same)." };
        var noReport = new Option<bool>("--no-report") { Description = "Do not run the report tool on the log (DIR/report.md, .html, .json)." };
        var longSleep = new Option<string?>("--long-sleep") { Description = "Report sleeps at least this long as anti-analysis (default " +
            "30s).", HelpName = "DURATION" };
        var network = new Option<bool>("--network") { Description = "Give the guest a NIC on an isolated network of fake services (INetSim in " +
            "a network namespace of this run: DNS answers every name, HTTP/HTTPS/SMTP/FTP); frames captured into DIR/network.pcap. Off by default." };
        var captureLimit = new Option<int>("--capture-limit") { Description = "With --network: cut DIR/network.pcap at this many MiB (default " +
            "64); run.json says when it was hit.", HelpName = "MIB", DefaultValueFactory = _ => 64 };
        var suricataRules = new Option<string?>("--suricata-rules") { Description = "With --network: a folder of your Suricata *.rules, used " +
            "beside the project's (data/suricata) when the capture is parsed.", HelpName = "DIR" };
        var cpus = new Option<int>("--smp", "--cpus") { Description = "vCPUs (default 2).", DefaultValueFactory = _ => 2 };
        var drop = new Option<bool>("--drop-when-full") { Description = "When the ring is full, drop records (logged as LOSS) instead of slowing " +
            "the guest." };
        var untraced = new Option<bool>("--untraced") { Description = "Boot the same guest without the hook (a baseline for timing)." };
        var allArgs = new Option<bool>("--all-args") { Description = "Record the raw argument registers of every call, not only of the decoded " +
            "ones (slower)." };
        var stage = new Option<string?>("--hook-stage") { Description = "Benchmarking: hit (callback only), decode (no ring write) or full " +
            "(default).", Hidden = true };
        var capture = new Option<string>("--capture") { Description = "Dropped-file capture: the bytes of every write, rebuilt into DIR/files and " +
            "DIR/artifacts.json (docs/EVIDENCE.md): sample (default: files the sample's processes wrote), all (every process's), none (no " +
            "capture, one guest read less per write).", DefaultValueFactory = _ => "sample" };
        capture.AcceptOnlyFromAmong("none", "sample", "all");
        var yara = new Option<string?>("--yara") { Description = "YARA rules (a file, or a folder of .yar/.yara) run over the dropped files " +
            "and injected memory; a match is a finding. Checked before the guest boots.", HelpName = "RULES" };
        var caps = new CaptureCapOptions();
        var captureScope = new Option<string?>("--capture-scope") { Description = "Benchmarking: the process name --capture sample scopes " +
            "the hook to (default: the sample's).", Hidden = true };
        var image = new RunImageOptions();
        var cmd = new Command("run", "Run SAMPLE in the Linux analysis guest under QEMU and trace every system call of every process from inside " +
            "the hypervisor; " +
            "or, with --image DISK --os windows, boot your own Windows 10 x64 image and trace it the same way.")
        {
            sample, timeout, outDir, firmware, logger, token, tokenFile, runId, lossMarkers, waitForStart, noReport, longSleep,
            network, captureLimit, suricataRules, cpus, drop, untraced, allArgs, stage, capture, caps.PerCall, caps.PerFile, caps.PerRun, yara,
            captureScope, image.Image, image.Os, image.Memory, image.Profiles, image.Snapshot, image.Screenshots,
        };
        cmd.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var samplePath = parse.GetValue(sample);
            var imageRun = image.Validate(parse, samplePath);
            var limit = parse.GetValue(timeout) is { } t ? ParseDuration(t) : (TimeSpan?)null;
            var fw = parse.GetValue(firmware) switch
            {
                "bios" => Firmware.Bios,
                "uefi" => Firmware.Uefi,
                var f => throw new UsageException($"--firmware must be bios or uefi, not '{f}'"),
            };
            if (imageRun && fw != Firmware.Uefi && parse.GetResult(firmware) is { Implicit: false })
                throw new UsageException("--image boots through OVMF (UEFI) only: Windows 10 x64 images are UEFI installs; leave out --firmware");
            var smp = parse.GetValue(cpus);
            if (parse.GetValue(captureLimit) < 1) throw new UsageException("--capture-limit must be at least 1 (MiB)");
            if (parse.GetValue(suricataRules) is { } sr && !Directory.Exists(sr)) throw new UsageException($"--suricata-rules: {sr} is not a folder");
            if (smp is < 1 or > 16) throw new UsageException("--smp must be between 1 and 16");
            if (parse.GetValue(captureScope) is { } cs
                && (cs.Length is 0 or > 15 || !cs.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')))
                throw new UsageException("--capture-scope must be a process name of 1-15 letters, digits, '.', '_' or '-'");
            var sleepLimit = parse.GetValue(longSleep) is { } ls ? ParseDuration(ls, "--long-sleep") : (TimeSpan?)null;
            var host = parse.GetValue(logger);
            string? theToken = null;
            if (host is not null)
            {
                try { LoggerClientOptions.ParseEndpoint(host); }
                catch (ArgumentException) { throw new UsageException($"--logger: '{host}' is not HOST:PORT (e.g. 127.0.0.1:7600)"); }
                theToken = LoggerEndpoints.Token(parse.GetValue(token), parse.GetValue(tokenFile))
                    ?? throw new UsageException("--logger needs the logger's token: --token, --token-file or ALKANET_LOGGER_TOKEN");
            }
            else if (parse.GetValue(runId) is not null || parse.GetValue(waitForStart) || parse.GetValue(lossMarkers))
            {
                throw new UsageException("--run-id, --wait-for-start and --loss-markers need --logger");
            }
            YaraRules? rules = null;
            if (parse.GetValue(yara) is { } yaraPath)
            {
                try { rules = YaraRules.Load(yaraPath); }
                catch (YaraRulesException e) { throw new CommandFailedException(e.Message); }
            }
            RunLoggerLink? link = null;
            try
            {
                RunLaunch launch = imageRun ? image.Launch(parse, samplePath) : LinuxLaunch(samplePath!, fw);
                launch.Check(QemuInstallation.Find(), msg => error.WriteLine(msg)); // before the logger hears of the run
                var dir = parse.GetValue(outDir) ?? Path.Combine("out", $"run-{launch.Name}-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
                var options = new TracedRunOptions
                {
                    Launch = launch, OutDirectory = dir, Timeout = limit, Cpus = smp, Network = parse.GetValue(network),
                    CaptureLimitBytes = (long)parse.GetValue(captureLimit) << 20, SuricataRules = parse.GetValue(suricataRules),
                    DropWhenFull = parse.GetValue(drop), Traced = !parse.GetValue(untraced), AllArgs = parse.GetValue(allArgs),
                    PluginExtra = (parse.GetValue(stage) is { } st ? ",stage=" + st : "") + CapturePluginArgs(parse.GetValue(capture)!, launch,
                        caps.CallBytes(parse), parse.GetValue(captureScope)),
                };
                if (launch is DiskImageLaunch disk) options = image.Apply(parse, options, disk, parse.GetResult(cpus) is { Implicit: false });
                if (host is not null)
                {
                    var id = parse.GetValue(runId) ?? Path.GetFileName(Path.GetFullPath(dir).TrimEnd('/'));
                    link = RunLoggerLink.Connect(host, theToken!, id, parse.GetValue(lossMarkers), parse.GetValue(waitForStart), error);
                    options = link.Wire(options);
                }
                var result = TracedRun.Execute(options, msg => error.WriteLine(msg));
                return Finish(result, options, link,
                    parse.GetValue(noReport) ? null : new ReportRequest(sleepLimit, parse.GetValue(capture) == "all", rules, caps.Limits(parse)),
                    output, error);
            }
            catch (PrerequisiteMissingException e)
            {
                throw new CommandFailedException(e.Message);
            }
            catch (Exception e) when (e is InvalidDataException or FileNotFoundException or TimeoutException or KeyNotFoundException
                or InvalidOperationException or UnauthorizedAccessException or LogFormatException)
            {
                throw new CommandFailedException(e.Message);
            }
            finally
            {
                link?.Client.Dispose();
            }
        });
        return cmd;
    }

    /// <summary>The Linux analysis guest's launch: the sample built (C sources) or loaded from SAMPLE.</summary>
    private static AnalysisGuestLaunch LinuxLaunch(string path, Firmware firmware)
    {
        var (name, bytes) = SampleBuilder.Load(path);
        return new AnalysisGuestLaunch { SampleName = name, Sample = bytes, Firmware = firmware };
    }

    /// <summary>What the report step is asked for; null: --no-report (the meta sidecar is still written).</summary>
    private sealed record ReportRequest(TimeSpan? LongSleep, bool DroppedFilesOfAll, YaraRules? Yara, DroppedFileLimits Limits);

    /// <summary>The plugin's capture arguments: none; every process (all); or the sample's processes, chosen in the hook by the
    /// sample's process name so other processes do not pay the read (the Linux guest; an image's sample is scoped on the host).</summary>
    private static string CapturePluginArgs(string capture, RunLaunch launch, int perCall, string? scope) => capture switch
    {
        "none" => "",
        "sample" when launch is AnalysisGuestLaunch g =>
            $",capture=sample,capture_sample={scope ?? AnalysisGuest.SampleProcessNameOf(g.SampleName)},capture_call={perCall}",
        _ => $",capture=all,capture_call={perCall}",
    };

    /// <summary>The run's end, the same for every launch: the summary line, the logger's goodbye, the meta sidecar and
    /// the report, then the exit code (0 only for a complete run whose plugin found the kernel, report and logger included).</summary>
    private static int Finish(TracedRunResult result, TracedRunOptions o, RunLoggerLink? link, ReportRequest? report, TextWriter output,
        TextWriter error)
    {
        if (result.Discovery.Length > 0) error.WriteLine($"alkanet: {o.Launch.Os}: {result.Discovery}");
        var filtered = result.Filtered > 0 ? $", {result.Filtered} left out by the logger's filter" : "";
        output.WriteLine($"{result.TracePath}: {result.Records} records ({result.Lost} lost{filtered}), outcome {result.Outcome}, " +
            $"{o.Launch.Summary(result)}, wall {result.WallSeconds:0.0} s");
        var loggerOk = link is null || link.Close(output, error);
        var reportOk = true;
        if (o.Traced && result.SampleProcessName is not null && result.Records > 0)
        {
            // The sidecar is written even with --no-report: `alkanet report DIR/trace.jsonl` needs no --sample then.
            RunReportWriter.WriteMeta(result.TracePath, result.SampleProcessName);
            if (report is not null) reportOk = RunReportWriter.WriteAndPrint(result.TracePath, report.LongSleep, output, error,
                report.DroppedFilesOfAll, report.Yara, result.Screenshots, report.Limits);
        }
        if (result.Outcome == RunOutcome.Stopped)
        {
            error.WriteLine("alkanet: the logger stopped the run; QEMU was stopped after the ring was drained (run marked incomplete)");
            return loggerOk ? ExitCodes.Ok : ExitCodes.Failure;
        }
        if (o.Traced && !result.PluginStarted)
        {
            error.WriteLine($"alkanet: {result.Discovery}");
            return ExitCodes.Failure;
        }
        if (result.Complete)
        {
            if (o.Traced && !result.KernelFound) error.WriteLine($"alkanet: the plugin did not find the guest's kernel: {result.Discovery}");
            return loggerOk && reportOk && (!o.Traced || result.KernelFound) ? ExitCodes.Ok : ExitCodes.Failure;
        }
        var limit = o.Timeout ?? o.Launch.DefaultTimeout;
        error.WriteLine("alkanet: " + result.Outcome switch
        {
            RunOutcome.Timeout => $"the guest did not power off within {limit.TotalSeconds:0} s; QEMU was stopped " +
                "(run marked incomplete; the trace holds what ran)",
            RunOutcome.KernelPanic => $"the guest kernel panicked: {result.Detail}",
            RunOutcome.QemuDied => $"QEMU ended before the guest powered off (exit {result.QemuExitCode}); run marked incomplete. {result.Detail}",
            _ => "the sample did not report its exit; run marked incomplete",
        });
        return ExitCodes.Failure;
    }

    /// <summary><c>alkanet guest build</c>: prepare (and cache) the analysis guest and its Linux profile now.</summary>
    public static Command CreateGuest()
    {
        var build = new Command("build", "Unpack the kernel, read its kallsyms (one nokaslr boot), derive the Linux profile and build the plugin; " +
            "all cached.");
        build.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            try
            {
                var g = AnalysisGuest.Prepare(QemuInstallation.Find(), msg => parse.InvocationConfiguration.Error.WriteLine(msg));
                var plugin = PluginLocator.Locate(msg => parse.InvocationConfiguration.Error.WriteLine(msg));
                var p = g.LoadProfile();
                output.WriteLine($"guest: {g.Directory} ({p.KernelRelease}); profile {g.ProfilePath}: {p.Syscalls64.Entries().Count()} calls, " +
                    $"{p.Offsets.Count} offsets; plugin {plugin}");
                return ExitCodes.Ok;
            }
            catch (PrerequisiteMissingException e)
            {
                throw new CommandFailedException(e.Message);
            }
        });
        var guest = new Command("guest", "The Linux analysis guest used by 'alkanet run'.") { build };
        return guest;
    }

    internal static TimeSpan ParseDuration(string text, string option = "--timeout")
    {
        var t = text.Trim();
        double Num(string s) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0
            ? v : throw new UsageException($"{option} '{text}' is not a positive duration (e.g. 60s, 2m, 90)");
        if (t.EndsWith("ms", StringComparison.Ordinal)) return TimeSpan.FromMilliseconds(Num(t[..^2]));
        if (t.EndsWith('s')) return TimeSpan.FromSeconds(Num(t[..^1]));
        if (t.EndsWith('m')) return TimeSpan.FromMinutes(Num(t[..^1]));
        if (t.EndsWith('h')) return TimeSpan.FromHours(Num(t[..^1]));
        return TimeSpan.FromSeconds(Num(t));
    }
}
