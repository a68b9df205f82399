using System.CommandLine;
using System.Globalization;
using Alkanet.Core.Json;
using Alkanet.Logging.Client;
using Alkanet.Vmm.Guest;
using Alkanet.Vmm.Live;
using Alkanet.Vmm.Qemu;

namespace Alkanet.Cli.Commands;

/// <summary><c>alkanet run SAMPLE</c>: trace a sample in the Linux analysis guest from inside QEMU (the TCG plugin hook).</summary>
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
        var timeout = new Option<string?>("--timeout") { Description = "Stop the guest after this long (e.g. 60s, 2m). Default 60s (10m with --image)." };
        var outDir = new Option<string?>("--out") { Description = "Output folder for trace.jsonl (+ .meta.json), run.json, console.log and report.md/.html/.json. Default: out/run-SAMPLE-TIME." };
        var firmware = new Option<string>("--firmware") { Description = "bios (PVH boot of the vmlinux, the default) or uefi (OVMF boots the EFI-stub kernel).", DefaultValueFactory = _ => "bios" };
        var logger = new Option<string?>("--logger") { Description = "Also stream records to an Alkanet logger at HOST:PORT (alkanet logger); it can pause, filter and stop the run.", HelpName = "HOST:PORT" };
        var token = new Option<string?>("--token") { Description = "The logger's token (or --token-file, or ALKANET_LOGGER_TOKEN)." };
        var tokenFile = new Option<string?>("--token-file") { Description = "Read the logger's token from this file." };
        var runId = new Option<string?>("--run-id") { Description = "The run's id on the logger (A-Z a-z 0-9 . _ -). Default: the output folder's name." };
        var lossMarkers = new Option<bool>("--loss-markers") { Description = "When the logger falls behind, drop records for it (an explicit LOSS record) instead of slowing the guest." };
        var waitForStart = new Option<bool>("--wait-for-start") { Description = "Trace nothing until the logger says start (the guest boots all the same)." };
        var noReport = new Option<bool>("--no-report") { Description = "Do not run the report tool on the log (DIR/report.md, .html, .json)." };
        var longSleep = new Option<string?>("--long-sleep") { Description = "Report sleeps at least this long as anti-analysis (default 30s).", HelpName = "DURATION" };
        var network = new Option<bool>("--network") { Description = "Give the guest a (user-mode) network device; off by default." };
        var cpus = new Option<int>("--smp", "--cpus") { Description = "vCPUs (default 2).", DefaultValueFactory = _ => 2 };
        var drop = new Option<bool>("--drop-when-full") { Description = "When the ring is full, drop records (logged as LOSS) instead of slowing the guest." };
        var untraced = new Option<bool>("--untraced") { Description = "Boot the same guest without the hook (a baseline for timing)." };
        var allArgs = new Option<bool>("--all-args") { Description = "Record the raw argument registers of every call, not only of the decoded ones (slower)." };
        var stage = new Option<string?>("--hook-stage") { Description = "Benchmarking: hit (callback only), decode (no ring write) or full (default).", Hidden = true };
        var image = new RunImageOptions();
        var cmd = new Command("run", "Run SAMPLE in the Linux analysis guest under QEMU and trace every system call of every process from inside the hypervisor; " +
            "or, with --image DISK --os windows, boot your own Windows 10 x64 image and trace it the same way.")
        {
            sample, timeout, outDir, firmware, logger, token, tokenFile, runId, lossMarkers, waitForStart, noReport, longSleep,
            network, cpus, drop, untraced, allArgs, stage, image.Image, image.Os, image.Memory, image.Profiles,
        };
        cmd.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var imageRun = image.Validate(parse, parse.GetValue(sample));
            var limit = ParseDuration(parse.GetValue(timeout) ?? (imageRun ? "10m" : "60s"));
            var fw = parse.GetValue(firmware) switch
            {
                "bios" => Firmware.Bios,
                "uefi" => Firmware.Uefi,
                var f => throw new UsageException($"--firmware must be bios or uefi, not '{f}'"),
            };
            var smp = parse.GetValue(cpus);
            if (smp is < 1 or > 16) throw new UsageException("--smp must be between 1 and 16");
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
            if (imageRun)
            {
                if (fw != Firmware.Uefi && parse.GetResult(firmware) is { Implicit: false })
                    throw new UsageException("--image boots through OVMF (UEFI) only: Windows 10 x64 images are UEFI installs; leave out --firmware");
                return RunImageCommand.Run(parse, image, new RunImageCommand.Common(parse.GetValue(sample), parse.GetValue(outDir), limit, smp,
                    parse.GetValue(network), parse.GetValue(drop), parse.GetValue(allArgs), parse.GetValue(noReport), parse.GetValue(untraced),
                    parse.GetValue(stage) is { } imageStage ? ",stage=" + imageStage : "", sleepLimit,
                    host, theToken, parse.GetValue(runId), parse.GetValue(lossMarkers), parse.GetValue(waitForStart)));
            }
            var path = parse.GetValue(sample)!;
            RunLoggerLink? link = null;
            try
            {
                var (name, bytes) = SampleBuilder.Load(path);
                var dir = parse.GetValue(outDir) ?? Path.Combine("out", $"run-{name}-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
                if (host is not null)
                {
                    var id = parse.GetValue(runId) ?? Path.GetFileName(Path.GetFullPath(dir).TrimEnd('/'));
                    link = ConnectLogger(host, theToken!, id, parse.GetValue(lossMarkers), parse.GetValue(waitForStart), error);
                }
                var result = LiveRun.Execute(new LiveRunOptions
                {
                    SampleName = name, Sample = bytes, OutDirectory = dir, Timeout = limit, Firmware = fw, Cpus = smp,
                    Network = parse.GetValue(network), DropWhenFull = parse.GetValue(drop), Traced = !parse.GetValue(untraced),
                    AllArgs = parse.GetValue(allArgs),
                    PluginExtra = parse.GetValue(stage) is { } st ? ",stage=" + st : "",
                    ExtraSinks = link is null ? [] : [link],
                    RecordFilter = link is null ? null : link.Keep,
                    OnRingReady = link is null ? null : link.Attach,
                    OnRingClosing = link is null ? null : link.Detach,
                    Stop = link?.StopRequested ?? default,
                }, msg => error.WriteLine(msg));
                output.WriteLine($"{result.TracePath}: {result.Records} records ({result.Lost} lost{(result.Filtered > 0 ? $", {result.Filtered} left out by the logger's filter" : "")}), outcome {result.Outcome}, " +
                    $"sample exit {(result.SampleExitStatus?.ToString(CultureInfo.InvariantCulture) ?? "none")}, " +
                    $"boot-to-sample {result.BootToSampleSeconds?.ToString("0.00", CultureInfo.InvariantCulture) ?? "?"} s, wall {result.WallSeconds:0.0} s");
                var loggerOk = link is null || CloseLogger(link, output, error);
                var reportOk = true;
                if (!parse.GetValue(untraced) && result.Records > 0)
                {
                    // The sidecar is written even with --no-report: `alkanet report DIR/trace.jsonl` needs no --sample then.
                    RunReportWriter.WriteMeta(result.TracePath, AnalysisGuest.SampleProcessNameOf(name));
                    if (!parse.GetValue(noReport)) reportOk = RunReportWriter.WriteAndPrint(result.TracePath, sleepLimit, output, error);
                }
                if (result.Outcome == RunOutcome.Stopped)
                {
                    error.WriteLine("alkanet: the logger stopped the run; QEMU was stopped after the ring was drained (run marked incomplete)");
                    return loggerOk ? ExitCodes.Ok : ExitCodes.Failure;
                }
                if (result.Complete) return loggerOk && reportOk ? ExitCodes.Ok : ExitCodes.Failure;
                var why = result.Outcome switch
                {
                    RunOutcome.Timeout => $"the guest did not power off within {limit.TotalSeconds:0} s; QEMU was stopped (run marked incomplete)",
                    RunOutcome.KernelPanic => $"the guest kernel panicked: {result.Detail}",
                    RunOutcome.QemuDied => $"QEMU ended before the guest powered off (exit {result.QemuExitCode}); run marked incomplete. {result.Detail}",
                    _ => "the sample did not report its exit; run marked incomplete",
                };
                error.WriteLine($"alkanet: {why}");
                return ExitCodes.Failure;
            }
            catch (PrerequisiteMissingException e)
            {
                throw new CommandFailedException(e.Message);
            }
            catch (Exception e) when (e is InvalidDataException or FileNotFoundException or TimeoutException or KeyNotFoundException or InvalidOperationException or LogFormatException)
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

    /// <summary><c>alkanet guest build</c>: prepare (and cache) the analysis guest and its Linux profile now.</summary>
    public static Command CreateGuest()
    {
        var build = new Command("build", "Unpack the kernel, read its kallsyms (one nokaslr boot), derive the Linux profile and build the plugin; all cached.");
        build.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            try
            {
                var g = AnalysisGuest.Prepare(QemuInstallation.Find(), msg => parse.InvocationConfiguration.Error.WriteLine(msg));
                var plugin = PluginLocator.Locate(msg => parse.InvocationConfiguration.Error.WriteLine(msg));
                var p = g.LoadProfile();
                output.WriteLine($"guest: {g.Directory} ({p.KernelRelease}); profile {g.ProfilePath}: {p.Syscalls64.Entries().Count()} calls, {p.Offsets.Count} offsets; plugin {plugin}");
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

    /// <summary>Connects to the logger and waits briefly for its answer, so a wrong token or run id fails before the guest boots.
    /// A logger that is not up yet is not fatal: records buffer and are sent once it answers.</summary>
    internal static RunLoggerLink ConnectLogger(string host, string token, string runId, bool lossMarkers, bool waitForStart, TextWriter error)
    {
        LoggerClient client;
        try
        {
            client = LoggerClient.Connect(new LoggerClientOptions
            {
                Endpoint = host, Token = token, RunId = runId, ClientName = "alkanet run",
                OnFull = lossMarkers ? BufferFullPolicy.LossMarker : BufferFullPolicy.BackPressure,
                WaitForStart = waitForStart, CloseTimeout = TimeSpan.FromSeconds(10),
            });
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--logger/--run-id: {e.Message}");
        }
        var connected = client.WaitConnected(TimeSpan.FromSeconds(5));
        if (client.Fault is { } fault)
        {
            client.Dispose();
            throw new CommandFailedException($"the logger at {host} refused run '{runId}': {fault}");
        }
        error.WriteLine(connected
            ? $"logger: streaming run '{runId}' to {host}{(waitForStart ? " (waiting for start)" : "")}"
            : $"logger: {host} does not answer yet ({client.LastError ?? "no connection"}); records are kept and sent once it does");
        return new RunLoggerLink(client, TimeSpan.FromSeconds(20));
    }

    /// <summary>Flushes to the logger and says goodbye (the run becomes complete there); false when not everything became durable.</summary>
    internal static bool CloseLogger(RunLoggerLink link, TextWriter output, TextWriter error)
    {
        link.Flush();
        var c = link.Client;
        if (link.WriteError is { } why)
        {
            error.WriteLine($"alkanet: the logger refused the stream ({why}); the local trace.jsonl is the complete log");
            return false;
        }
        if (!link.Durable || c.Fault is not null)
        {
            error.WriteLine($"alkanet: the logger did not acknowledge every record (through no {c.LastAckedNo}); {c.Fault ?? c.LastError}");
            return false;
        }
        output.WriteLine($"logger: run '{c.Options.RunId}' stored through no {c.LastAckedNo} ({c.RecordsDropped} dropped for the logger)");
        return true;
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
