using System.CommandLine;
using System.Globalization;
using Alkanet.Vmm.Guest;
using Alkanet.Vmm.Live;
using Alkanet.Vmm.Qemu;

namespace Alkanet.Cli.Commands;

/// <summary><c>alkanet run SAMPLE</c>: trace a sample in the Linux analysis guest from inside QEMU (the TCG plugin hook).</summary>
internal static class RunCommands
{
    public static Command Create()
    {
        var sample = new Argument<string>("SAMPLE") { Description = "The sample: a directory of C sources or a .c file (compiled static), or a static executable or #! script." };
        var timeout = new Option<string>("--timeout") { Description = "Stop the guest after this long (e.g. 60s, 2m). Default 60s.", DefaultValueFactory = _ => "60s" };
        var outDir = new Option<string?>("--out") { Description = "Output folder for trace.jsonl, run.json and console.log. Default: out/run-SAMPLE-TIME." };
        var firmware = new Option<string>("--firmware") { Description = "bios (PVH boot of the vmlinux, the default) or uefi (OVMF boots the EFI-stub kernel).", DefaultValueFactory = _ => "bios" };
        var logger = new Option<string?>("--logger") { Description = "Also stream records to an Alkanet logging server at HOST:PORT." };
        var network = new Option<bool>("--network") { Description = "Give the guest a (user-mode) network device; off by default." };
        var cpus = new Option<int>("--smp") { Description = "vCPUs (default 2).", DefaultValueFactory = _ => 2 };
        var drop = new Option<bool>("--drop-when-full") { Description = "When the ring is full, drop records (logged as LOSS) instead of slowing the guest." };
        var untraced = new Option<bool>("--untraced") { Description = "Boot the same guest without the hook (a baseline for timing)." };
        var allArgs = new Option<bool>("--all-args") { Description = "Record the raw argument registers of every call, not only of the decoded ones (slower)." };
        var stage = new Option<string?>("--hook-stage") { Description = "Benchmarking: hit (callback only), decode (no ring write) or full (default).", Hidden = true };
        var cmd = new Command("run", "Run SAMPLE in the Linux analysis guest under QEMU and trace every system call of every process from inside the hypervisor.")
        {
            sample, timeout, outDir, firmware, logger, network, cpus, drop, untraced, allArgs, stage,
        };
        cmd.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var limit = ParseDuration(parse.GetValue(timeout)!);
            var fw = parse.GetValue(firmware) switch
            {
                "bios" => Firmware.Bios,
                "uefi" => Firmware.Uefi,
                var f => throw new UsageException($"--firmware must be bios or uefi, not '{f}'"),
            };
            if (parse.GetValue(logger) is { } host)
                throw new CommandFailedException($"--logger {host}: the logging client is not part of this build yet; run without --logger and send DIR/trace.jsonl afterwards");
            var smp = parse.GetValue(cpus);
            if (smp is < 1 or > 16) throw new UsageException("--smp must be between 1 and 16");
            var path = parse.GetValue(sample)!;
            try
            {
                var (name, bytes) = SampleBuilder.Load(path);
                var dir = parse.GetValue(outDir) ?? Path.Combine("out", $"run-{name}-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
                var result = LiveRun.Execute(new LiveRunOptions
                {
                    SampleName = name, Sample = bytes, OutDirectory = dir, Timeout = limit, Firmware = fw, Cpus = smp,
                    Network = parse.GetValue(network), DropWhenFull = parse.GetValue(drop), Traced = !parse.GetValue(untraced),
                    AllArgs = parse.GetValue(allArgs),
                    PluginExtra = parse.GetValue(stage) is { } st ? ",stage=" + st : "",
                }, msg => error.WriteLine(msg));
                output.WriteLine($"{result.TracePath}: {result.Records} records ({result.Lost} lost), outcome {result.Outcome}, " +
                    $"sample exit {(result.SampleExitStatus?.ToString(CultureInfo.InvariantCulture) ?? "none")}, " +
                    $"boot-to-sample {result.BootToSampleSeconds?.ToString("0.00", CultureInfo.InvariantCulture) ?? "?"} s, wall {result.WallSeconds:0.0} s");
                if (result.Complete) return ExitCodes.Ok;
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
            catch (Exception e) when (e is InvalidDataException or FileNotFoundException or TimeoutException or KeyNotFoundException or InvalidOperationException)
            {
                throw new CommandFailedException(e.Message);
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

    internal static TimeSpan ParseDuration(string text)
    {
        var t = text.Trim();
        double Num(string s) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0
            ? v : throw new UsageException($"--timeout '{text}' is not a positive duration (e.g. 60s, 2m, 90)");
        if (t.EndsWith("ms", StringComparison.Ordinal)) return TimeSpan.FromMilliseconds(Num(t[..^2]));
        if (t.EndsWith('s')) return TimeSpan.FromSeconds(Num(t[..^1]));
        if (t.EndsWith('m')) return TimeSpan.FromMinutes(Num(t[..^1]));
        if (t.EndsWith('h')) return TimeSpan.FromHours(Num(t[..^1]));
        return TimeSpan.FromSeconds(Num(t));
    }
}
