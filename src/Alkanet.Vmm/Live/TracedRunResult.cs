namespace Alkanet.Vmm.Live;

public enum RunOutcome { PoweredOff, Timeout, QemuDied, KernelPanic, Stopped }

/// <summary>What a traced run reports, whatever booted: how it ended, the ring's counters, what the plugin found,
/// and the sample's timing when the guest's console reported it.</summary>
public sealed class TracedRunResult
{
    public RunOutcome Outcome { get; set; }
    /// <summary>Complete: the guest powered off by itself (with -no-reboot, a reboot counts) and, when the launch's
    /// guest reports the sample's exit (the analysis guest), it did.</summary>
    public bool Complete => Outcome == RunOutcome.PoweredOff && (!SampleReportsExit || SampleExitStatus is not null);
    internal bool SampleReportsExit { get; init; }
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
    /// <summary>Networked runs: the capture after its bound (null: no network).</summary>
    public Network.PcapBound.Result? Capture { get; set; }
    /// <summary>Networked runs: seconds spent making the isolated network and starting INetSim, and tearing it down.</summary>
    public double NetworkSetupSeconds { get; set; }
    /// <summary>Networked runs: Suricata's reading of the capture (null: not parsed), its seconds, or why it failed.</summary>
    public Network.EveSummary? Eve { get; set; }
    public double ParseSeconds { get; set; }
    public string? ParseError { get; set; }

    public bool PluginStarted { get; set; }
    /// <summary>The plugin found the guest's kernel (Windows: ntoskrnl; Linux: the KASLR slide from the site bytes).</summary>
    public bool KernelFound { get; set; }
    public ulong KernelBase { get; set; }
    public ulong Slide { get; set; }
    /// <summary>The plugin's discovery line (Windows: "ntoskrnl at ..., build ..." or why not found yet), or why none.</summary>
    public string Discovery { get; set; } = "";
    public ulong DiscoveryAttempts { get; set; }
    public ulong DiscoveryFailures { get; set; }

    /// <summary>Screenshots taken (relative to the output folder: screenshots/NNN-LABEL.png), in order; why one failed.</summary>
    public IReadOnlyList<string> Screenshots { get; set; } = [];
    public string? ScreenshotError { get; set; }
    /// <summary>Runs from a snapshot: seconds from QEMU's start to the restored guest resumed, and to the start key.</summary>
    public double? ResumedAfterSeconds { get; set; }
    public double? StartKeyAfterSeconds { get; set; }

    /// <summary>The sample's process name as the guest's kernel keeps it (the report's subject); null: no sample.</summary>
    public string? SampleProcessName { get; set; }
    public int? SampleExitStatus { get; set; }
    public double? BootToSampleSeconds { get; set; }
    public double? SampleSeconds { get; set; }
}
