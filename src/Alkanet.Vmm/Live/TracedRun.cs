using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Alkanet.Vmm.Network;
using Alkanet.Vmm.Qemu;
using Alkanet.Ring;

namespace Alkanet.Vmm.Live;

/// <summary>
/// <c>alkanet run</c>: one traced QEMU run of whatever <see cref="TracedRunOptions.Launch"/> boots. QEMU runs under
/// TCG with the plugin (<see cref="QemuRingSession"/>: setpriv --pdeathsig, the ring, the drain into DIR/trace.jsonl
/// and any extra sinks, the timeout and the stop token); the guest's console markers and QEMU's exit decide the
/// outcome. Writes DIR/run.json (the summary) and DIR/console.log (the guest's serial console).
/// </summary>
public static partial class TracedRun
{
    public static TracedRunResult Execute(TracedRunOptions o, Action<string>? log = null)
    {
        var launch = o.Launch;
        var qemu = QemuInstallation.Find();
        launch.Check(qemu, log);
        var plugin = o.Traced ? PluginLocator.Locate(log) : null;
        Directory.CreateDirectory(o.OutDirectory);
        var work = Directory.CreateTempSubdirectory("alkanet-run-");
        // A traced run shares guest RAM with the plugin, which then reads it without calling QEMU (RamFirstVirtualMemory).
        // A restored snapshot keeps the RAM block the preparing boot had (QEMU's own "pc.ram"): a RAM file would be another
        // block, which the restore refuses, so such a run reads guest memory through QEMU.
        var ram = plugin is null ? null
            : o.MemoryFile ?? (o.Launch.Restores ? null : Path.Combine("/dev/shm", $"alkanet-{Environment.ProcessId}-{Guid.NewGuid():N}.ram"));
        var result = new TracedRunResult
        {
            TracePath = Path.Combine(o.OutDirectory, "trace.jsonl"), SampleReportsExit = launch.GuestReportsSample,
        };
        var wall = Stopwatch.StartNew();
        AnalysisNetwork? net = null;
        RunMonitor? monitor = null;
        try
        {
            if (o.Network) net = StartNetwork(o, result, log);
            var console = Path.Combine(o.OutDirectory, "console.log");
            File.Delete(console);
            var staged = launch.Stage(work.FullName, console, o, log);
            result.SampleProcessName = staged.SampleProcessName;
            TraceRing? ring = null;
            monitor = Monitor(o, work.FullName, () => ring, log);
            if (monitor is not null) staged = staged with { Qemu = staged.Qemu with { QmpSocket = Path.Combine(work.FullName, "qmp.sock") } };
            var session = QemuRingSession.Run(qemu, ringPath => Launch(staged, o, plugin, ringPath, net, ram), new QemuRingSession.Output
            {
                TracePath = result.TracePath, ExtraSinks = o.ExtraSinks, Filter = o.RecordFilter, RingSlots = o.RingSlots,
                DropWhenFull = o.DropWhenFull,
                OnRingReady = r => { ring = r; o.OnRingReady?.Invoke(r); }, OnRingClosing = o.OnRingClosing,
            }, new QemuRingSession.Limits(o.Timeout ?? launch.DefaultTimeout, pid => { o.OnStarted?.Invoke(pid); monitor?.Start(pid); },
                o.DrainDelay, o.DrainNice, monitor is null ? null : monitor.Finish, o.Stop));
            monitor?.Dispose();
            Take(result, session, o, launch);
            TakeMonitor(result, monitor);
            ReadConsole(console, result);
        }
        finally
        {
            monitor?.Dispose();
            StopNetwork(net, o, result);
            work.Delete(true);
            if (ram is not null && o.MemoryFile is null) File.Delete(ram);
        }
        result.WallSeconds = wall.Elapsed.TotalSeconds;
        WriteSummary(o, result);
        return result;
    }

    /// <summary>The QMP side of the run, when it needs one: a restore to resume, or a display to take pictures of.</summary>
    private static RunMonitor? Monitor(TracedRunOptions o, string work, Func<TraceRing?> ring, Action<string>? log)
    {
        var pictures = o.Screenshots && o.Launch.HasDisplay;
        if (!pictures && !o.Launch.Restores) return null;
        string? folder = null;
        if (pictures)
        {
            folder = Path.Combine(o.OutDirectory, "screenshots");
            if (Directory.Exists(folder)) Directory.Delete(folder, true); // a reused --out: only this run's pictures
            Directory.CreateDirectory(folder);
        }
        return new RunMonitor(Path.Combine(work, "qmp.sock"),
            new RunMonitor.Plan(o.Launch.Restores, folder, o.ScreenshotEvery, o.Traced ? ring : null, TimeSpan.FromSeconds(60)), log);
    }

    private static void TakeMonitor(TracedRunResult r, RunMonitor? m)
    {
        if (m is null) return;
        r.Screenshots = m.Screenshots;
        r.ScreenshotError = m.ScreenshotError;
        r.ResumedAfterSeconds = m.ResumedAfterSeconds;
        r.StartKeyAfterSeconds = m.StartKeyAfterSeconds;
        if (m.Error is not null) r.Detail = m.Error + (r.Detail.Length > 0 ? "\n" + r.Detail : "");
    }

    /// <summary>QEMU's launch: the launch builder's, plus what every run sets (vCPUs, network, RAM file, the plugin). With
    /// <paramref name="ram"/> guest RAM is that file, and the plugin maps it too (<c>ram=FILE</c>).</summary>
    internal static QemuLaunch Launch(RunLaunch.Staged staged, TracedRunOptions o, string? plugin, string ringPath, AnalysisNetwork? net = null,
        string? ram = null) =>
        staged.Qemu with
    {
        Cpus = o.Cpus, Network = o.Network, MemoryFile = ram ?? o.MemoryFile,
        NetworkNamespace = net?.Namespace, NetworkTap = AnalysisNetwork.Tap, NetworkCapture = net is null ? null : CapturePath(o),
        Plugin = plugin is null ? null
            : o.Launch.PluginArguments(plugin, ringPath, o.AllArgs) + (ram is null ? "" : ",ram=" + ram) + o.PluginExtra,
    };

    public static string CapturePath(TracedRunOptions o) => Path.Combine(o.OutDirectory, "network.pcap");

    private static AnalysisNetwork StartNetwork(TracedRunOptions o, TracedRunResult r, Action<string>? log)
    {
        var clock = Stopwatch.StartNew();
        File.Delete(CapturePath(o));
        if (o.ParseCapture) SuricataRun.Require(); // before the run, not after it
        var net = AnalysisNetwork.Start(Path.Combine(o.OutDirectory, "inetsim"), log);
        r.NetworkSetupSeconds = clock.Elapsed.TotalSeconds;
        return net;
    }

    /// <summary>Stops INetSim, removes the namespace, and bounds the capture (QEMU has exited: the pcap is whole).</summary>
    private static void StopNetwork(AnalysisNetwork? net, TracedRunOptions o, TracedRunResult r)
    {
        if (net is null) return;
        var clock = Stopwatch.StartNew();
        net.Dispose();
        r.NetworkSetupSeconds += clock.Elapsed.TotalSeconds;
        if (!File.Exists(CapturePath(o))) return;
        var bound = r.Capture = PcapBound.Apply(CapturePath(o), o.CaptureLimitBytes);
        if (!o.ParseCapture) return;
        clock.Restart();
        try
        {
            var eve = SuricataRun.Run(CapturePath(o), Path.Combine(o.OutDirectory, "suricata"), o.SuricataRules);
            r.Eve = EveSummary.Read(eve);
            r.Eve.Capture = (bound, o.CaptureLimitBytes);
            r.Eve.JoinProcesses(r.TracePath);
            r.Eve.Write(Path.Combine(o.OutDirectory, "network.json"));
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException)
        {
            r.ParseError = e.Message; // the run's trace and capture stand; run.json says why the parse is missing
        }
        r.ParseSeconds = clock.Elapsed.TotalSeconds;
    }

    /// <summary>QEMU's end and the ring's counters. The outcome is Timeout, Stopped, or by QEMU's exit: a clean exit
    /// is a power-off unless the guest reports its own (then <see cref="ReadConsole"/> decides from its marker).</summary>
    private static void Take(TracedRunResult r, QemuRingSession.Result s, TracedRunOptions o, RunLaunch launch)
    {
        var exited = !launch.GuestReportsSample && s.ExitCode == 0 ? RunOutcome.PoweredOff : RunOutcome.QemuDied;
        r.QemuExitCode = s.ExitCode;
        r.Detail = s.Diagnostics;
        r.Outcome = s.TimedOut ? RunOutcome.Timeout : s.Stopped ? RunOutcome.Stopped : exited;
        r.Records = s.Records;
        r.Lost = s.Lost;
        r.Filtered = s.Filtered;
        r.Hits = s.Hits;
        r.PluginErrors = s.PluginErrors;
        r.Stalls = s.Stalls;
        r.Slide = s.Slide;
        r.PluginStarted = s.PluginState != 0;
        r.KernelFound = (s.PluginState & (RingLayout.PluginKernelFound | RingLayout.PluginSlideFound)) != 0;
        r.KernelBase = s.KernelBase;
        r.DiscoveryAttempts = s.DiscoveryAttempts;
        r.DiscoveryFailures = s.DiscoveryFailures;
        r.Discovery = !o.Traced ? "untraced run (no plugin)"
            : r.PluginStarted ? s.OsStatus
            : "the plugin did not start: " + string.Join(" | ", s.Diagnostics.Split('\n').Where(l => l.Length > 0).Take(3));
        if (o.Traced && !r.PluginStarted) r.Detail = "the plugin did not start: " + r.Detail;
    }

    /// <summary>The guest's own markers: the sample's start and exit (the analysis guest's init prints them), a power-off
    /// after the sample, a kernel panic. A guest that prints none leaves the outcome QEMU's exit gave.</summary>
    private static void ReadConsole(string console, TracedRunResult r)
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
        else if (r.Outcome is not (RunOutcome.Timeout or RunOutcome.Stopped) && r.QemuExitCode == 0
            && text.Contains("ALKANET-POWEROFF", StringComparison.Ordinal))
        {
            r.Outcome = RunOutcome.PoweredOff;
        }
    }

    private static void WriteSummary(TracedRunOptions o, TracedRunResult r)
    {
        using var fs = File.Create(Path.Combine(o.OutDirectory, "run.json"));
        using var w = new Utf8JsonWriter(fs, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("os", o.Launch.Os);
        o.Launch.WriteFacts(w, r);
        if (r.SampleProcessName is not null) w.WriteString("sample_process", r.SampleProcessName);
        w.WriteBoolean("complete", r.Complete);
        w.WriteString("outcome", r.Outcome.ToString());
        w.WriteBoolean("traced", o.Traced);
        if (r.SampleExitStatus is { } s) w.WriteNumber("sample_exit_status", s);
        w.WriteStartObject("discovery");
        w.WriteBoolean("kernel_found", r.KernelFound);
        if (r.KernelBase != 0) w.WriteString("kernel_base", r.KernelBase.ToString("x", CultureInfo.InvariantCulture));
        w.WriteString("status", r.Discovery);
        w.WriteNumber("attempts", r.DiscoveryAttempts);
        w.WriteNumber("failed_attempts", r.DiscoveryFailures);
        w.WriteEndObject();
        w.WriteNumber("records", r.Records);
        w.WriteNumber("lost", r.Lost);
        if (r.Filtered > 0) w.WriteNumber("filtered_out", r.Filtered);
        w.WriteNumber("hook_hits", r.Hits);
        w.WriteNumber("plugin_errors", r.PluginErrors);
        w.WriteNumber("ring_full_stalls", r.Stalls);
        if (r.BootToSampleSeconds is { } b) w.WriteNumber("boot_to_sample_s", b);
        if (r.SampleSeconds is { } ss) w.WriteNumber("sample_s", Math.Round(ss, 6));
        if (o.Network) WriteNetwork(w, o, r);
        if (r.Screenshots.Count > 0)
        {
            w.WriteStartArray("screenshots");
            foreach (var p in r.Screenshots) w.WriteStringValue(p);
            w.WriteEndArray();
        }
        if (r.ScreenshotError is not null) w.WriteString("screenshot_error", r.ScreenshotError);
        w.WriteNumber("cpus", o.Cpus);
        w.WriteNumber("wall_s", Math.Round(r.WallSeconds, 3));
        w.WriteNumber("qemu_exit_code", r.QemuExitCode);
        w.WriteString("detail", r.Detail);
        w.WriteEndObject();
    }

    private static void WriteNetwork(Utf8JsonWriter w, TracedRunOptions o, TracedRunResult r)
    {
        w.WriteStartObject("network");
        w.WriteString("guest_address", AnalysisNetwork.GuestAddress);
        w.WriteString("sink_address", AnalysisNetwork.HostAddress);
        w.WriteNumber("setup_s", Math.Round(r.NetworkSetupSeconds, 3));
        if (r.Capture is { } c)
        {
            w.WriteString("pcap", "network.pcap");
            w.WriteNumber("frames", c.Frames);
            w.WriteNumber("bytes", c.Bytes);
            w.WriteNumber("limit_bytes", o.CaptureLimitBytes);
            w.WriteBoolean("capture_cap_hit", c.CapHit);
            if (c.CapHit) w.WriteString("capture_note", PcapBound.TruncatedNote(o.CaptureLimitBytes));
        }
        if (r.Eve is { } e)
        {
            w.WriteString("parsed", "network.json");
            w.WriteNumber("parse_s", Math.Round(r.ParseSeconds, 3));
            w.WriteNumber("dns_queries", e.DnsQueries.Count);
            w.WriteNumber("http_requests", e.HttpRequests.Count);
            w.WriteNumber("flows", e.Flows.Count);
            w.WriteNumber("alerts", e.Alerts.Count);
        }
        if (r.ParseError is not null) w.WriteString("parse_error", r.ParseError);
        w.WriteEndObject();
    }

    [GeneratedRegex(@"ALKANET-SAMPLE-START uptime=([0-9.]+)")]
    private static partial Regex StartMarker();

    [GeneratedRegex(@"ALKANET-SAMPLE-EXIT status=(\d+) uptime=([0-9.]+)")]
    private static partial Regex ExitMarker();
}
