using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Alkanet.Core.Sinks;
using Alkanet.Vmm.Guest;
using Alkanet.Vmm.Qemu;
using Alkanet.Vmm.Ring;

namespace Alkanet.Vmm.Live;

public sealed class LiveRunOptions
{
    public required string SampleName { get; init; }
    public required byte[] Sample { get; init; }
    public required string OutDirectory { get; init; }
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);
    public Firmware Firmware { get; init; } = Firmware.Bios;
    public int Cpus { get; init; } = 2;
    public bool Network { get; init; }
    /// <summary>False: boot the same guest without the plugin (untraced baseline for the figures).</summary>
    public bool Traced { get; init; } = true;
    public bool DropWhenFull { get; init; }
    public int RingSlots { get; init; } = RingLayout.DefaultSlotCount;
    /// <summary>Extra sinks (the logging client, tests); the file sink DIR/trace.jsonl is always written.</summary>
    public IReadOnlyList<IRecordSink> ExtraSinks { get; init; } = [];
    /// <summary>Called with the ring's control block before QEMU starts (pause, process filter, drop mode).</summary>
    public Action<TraceRing>? OnRingReady { get; init; }
    /// <summary>Called before the ring is unmapped (also on failure): whoever kept it from <see cref="OnRingReady"/> lets go.</summary>
    public Action<TraceRing>? OnRingClosing { get; init; }
    /// <summary>Records the drain leaves out (not numbered, not written); e.g. a logger's filter. Read per record.</summary>
    public Func<Core.Records.SyscallRecord, bool>? RecordFilter { get; init; }
    /// <summary>Cancelled to end the run early (e.g. a logger's stop): the ring is drained, QEMU stopped, outcome Stopped.</summary>
    public CancellationToken Stop { get; init; }
    /// <summary>Called with the QEMU process id once it runs (tests use it to kill QEMU mid-run).</summary>
    public Action<int>? OnStarted { get; init; }
    /// <summary>Slows the drain (tests of a full ring): sleep this long after each drained batch.</summary>
    public TimeSpan DrainDelay { get; init; }
    /// <summary>True: every ENTER carries the raw args (one more guest read per call); false (default): only decoded calls.</summary>
    public bool AllArgs { get; init; }
    /// <summary>Nice value (0..19) for the drain thread; 0 (default) keeps the tracer's. Measured: on an oversubscribed
    /// host a lower drain priority fills the ring and back-pressure then slows the guest more, so it is off.</summary>
    public int DrainNice { get; init; }
    /// <summary>Keep guest RAM in this file (see <see cref="QemuLaunch.MemoryFile"/>).</summary>
    public string? MemoryFile { get; init; }
    /// <summary>Extra plugin arguments (",key=value..."), e.g. the bench's stage=hit|decode.</summary>
    public string PluginExtra { get; init; } = "";
}

public enum RunOutcome { PoweredOff, Timeout, QemuDied, KernelPanic, Stopped }

/// <summary>What every traced run reports: how it ended and the ring's counters.</summary>
public abstract class TracedRunResult
{
    public RunOutcome Outcome { get; set; }
    public long Records { get; set; }
    public long Lost { get; set; }
    /// <summary>Records left out by the run's record filter (e.g. a logger's).</summary>
    public long Filtered { get; set; }
    public ulong Hits { get; set; }
    public ulong PluginErrors { get; set; }
    public ulong Stalls { get; set; }
    public double WallSeconds { get; set; }
    public int QemuExitCode { get; set; }
    public string Detail { get; set; } = "";
    public string TracePath { get; set; } = "";

    /// <summary>Takes QEMU's end and the ring's counters; the outcome is Timeout, Stopped, or <paramref name="exited"/>.</summary>
    internal void Take(QemuRingSession.Result s, RunOutcome exited)
    {
        QemuExitCode = s.ExitCode;
        Detail = s.Diagnostics;
        Outcome = s.TimedOut ? RunOutcome.Timeout : s.Stopped ? RunOutcome.Stopped : exited;
        Records = s.Records;
        Lost = s.Lost;
        Filtered = s.Filtered;
        Hits = s.Hits;
        PluginErrors = s.PluginErrors;
        Stalls = s.Stalls;
    }
}

public sealed class LiveRunResult : TracedRunResult
{
    public bool Complete => Outcome == RunOutcome.PoweredOff && SampleExitStatus is not null;
    public int? SampleExitStatus { get; set; }
    public ulong Slide { get; set; }
    public double? BootToSampleSeconds { get; set; }
    public double? SampleSeconds { get; set; }
}

/// <summary>
/// <c>alkanet run</c>: boots the cached analysis guest with the sample in its initramfs and the plugin loaded,
/// drains the ring into DIR/trace.jsonl while the guest runs, and ends on guest power-off or the timeout
/// (QEMU is killed then). Writes DIR/run.json (the summary) and DIR/console.log (the guest's serial console).
/// </summary>
public static partial class LiveRun
{
    public static LiveRunResult Execute(LiveRunOptions o, Action<string>? log = null)
    {
        var qemu = QemuInstallation.Find();
        var guest = AnalysisGuest.Prepare(qemu, log);
        var plugin = o.Traced ? PluginLocator.Locate(log) : null;
        Directory.CreateDirectory(o.OutDirectory);
        var work = Directory.CreateTempSubdirectory("alkanet-run-");
        var result = new LiveRunResult { TracePath = Path.Combine(o.OutDirectory, "trace.jsonl") };
        var wall = Stopwatch.StartNew();
        try
        {
            var initrd = Path.Combine(work.FullName, "initrd.cpio");
            AnalysisGuest.Initramfs(initrd, o.Sample, guest.NowHelper, o.SampleName);
            string? vars = null;
            if (o.Firmware == Firmware.Uefi)
            {
                vars = Path.Combine(work.FullName, "OVMF_VARS.fd");
                File.Copy(QemuInstallation.Ovmf().Vars, vars);
            }
            var console = Path.Combine(o.OutDirectory, "console.log");
            File.Delete(console);
            var session = QemuRingSession.Run(qemu, ringPath => new QemuLaunch
            {
                // PVH boots the ELF directly (no decompression); OVMF needs the EFI-stub bzImage.
                Kernel = o.Firmware == Firmware.Uefi ? guest.Vmlinuz : guest.Vmlinux,
                Initrd = initrd,
                CommandLine = AnalysisGuest.CommandLine("run"),
                ConsoleLog = console,
                Firmware = o.Firmware,
                Cpus = o.Cpus,
                Network = o.Network,
                OvmfVars = vars,
                MemoryFile = o.MemoryFile,
                Plugin = plugin is null ? null : $"{plugin},profile={guest.ProfilePath},ring={ringPath},args={(o.AllArgs ? "all" : "decoded")}{o.PluginExtra}",
            }, new QemuRingSession.Output
            {
                TracePath = result.TracePath, ExtraSinks = o.ExtraSinks, Filter = o.RecordFilter, OnRingReady = o.OnRingReady,
                OnRingClosing = o.OnRingClosing, RingSlots = o.RingSlots, DropWhenFull = o.DropWhenFull,
            }, new QemuRingSession.Limits(o.Timeout, o.OnStarted, o.DrainDelay, o.DrainNice, o.Stop));
            result.Take(session, RunOutcome.QemuDied); // ReadConsole decides PoweredOff from the guest's own markers
            result.Slide = session.Slide;
            ReadConsole(console, result);
            if (o.Traced && session.PluginState == 0) result.Detail = "the plugin did not start: " + result.Detail;
        }
        finally
        {
            work.Delete(true);
        }
        result.WallSeconds = wall.Elapsed.TotalSeconds;
        WriteSummary(o, result);
        return result;
    }

    /// <summary>The guest's own markers decide how the run ended: a power-off after the sample, a kernel panic, or neither.</summary>
    private static void ReadConsole(string console, LiveRunResult r)
    {
        var text = File.Exists(console) ? File.ReadAllText(console) : "";
        var start = StartMarker().Match(text);
        var exit = ExitMarker().Match(text);
        if (start.Success) r.BootToSampleSeconds = double.Parse(start.Groups[1].Value, CultureInfo.InvariantCulture);
        if (exit.Success)
        {
            r.SampleExitStatus = int.Parse(exit.Groups[1].Value, CultureInfo.InvariantCulture);
            if (start.Success) r.SampleSeconds = double.Parse(exit.Groups[2].Value, CultureInfo.InvariantCulture) - r.BootToSampleSeconds;
        }
        if (text.Contains("Kernel panic", StringComparison.Ordinal))
        {
            r.Outcome = RunOutcome.KernelPanic;
            var at = text.IndexOf("Kernel panic", StringComparison.Ordinal);
            r.Detail = text[at..Math.Min(text.Length, at + 200)].Split('\n')[0].Trim();
        }
        else if (r.Outcome is not (RunOutcome.Timeout or RunOutcome.Stopped) && text.Contains("ALKANET-POWEROFF", StringComparison.Ordinal) && r.QemuExitCode == 0)
        {
            r.Outcome = RunOutcome.PoweredOff;
        }
    }

    private static void WriteSummary(LiveRunOptions o, LiveRunResult r)
    {
        using var fs = File.Create(Path.Combine(o.OutDirectory, "run.json"));
        using var w = new Utf8JsonWriter(fs, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("sample", o.SampleName);
        w.WriteBoolean("complete", r.Complete);
        w.WriteString("outcome", r.Outcome.ToString());
        w.WriteBoolean("traced", o.Traced);
        w.WriteString("firmware", o.Firmware.ToString().ToLowerInvariant());
        if (r.SampleExitStatus is { } s) w.WriteNumber("sample_exit_status", s);
        w.WriteNumber("records", r.Records);
        w.WriteNumber("lost", r.Lost);
        if (r.Filtered > 0) w.WriteNumber("filtered_out", r.Filtered);
        w.WriteNumber("hook_hits", r.Hits);
        w.WriteNumber("plugin_errors", r.PluginErrors);
        w.WriteNumber("ring_full_stalls", r.Stalls);
        w.WriteString("kaslr_slide", r.Slide.ToString("x", CultureInfo.InvariantCulture));
        if (r.BootToSampleSeconds is { } b) w.WriteNumber("boot_to_sample_s", b);
        if (r.SampleSeconds is { } ss) w.WriteNumber("sample_s", Math.Round(ss, 6));
        w.WriteNumber("wall_s", Math.Round(r.WallSeconds, 3));
        w.WriteNumber("qemu_exit_code", r.QemuExitCode);
        w.WriteString("detail", r.Detail);
        w.WriteEndObject();
    }

    [GeneratedRegex(@"ALKANET-SAMPLE-START uptime=([0-9.]+)")]
    private static partial Regex StartMarker();

    [GeneratedRegex(@"ALKANET-SAMPLE-EXIT status=(\d+) uptime=([0-9.]+)")]
    private static partial Regex ExitMarker();
}

/// <summary>Runs an action on dispose (a <c>using var</c> declared after another is disposed before it).</summary>
internal sealed class Release(Action action) : IDisposable
{
    public void Dispose() => action();
}

/// <summary>Writes every record to several sinks (the file and, e.g., the logging client).</summary>
public sealed class FanOutSink(IReadOnlyList<IRecordSink> sinks) : IRecordSink
{
    public void Write(Core.Records.SyscallRecord record) { foreach (var s in sinks) s.Write(record); }

    public void Flush() { foreach (var s in sinks) s.Flush(); }

    public void Dispose() { foreach (var s in sinks) s.Dispose(); }
}
