using Alkanet.Core.Records;
using Alkanet.Core.Sinks;
using Alkanet.Vmm.Qemu;
using Alkanet.Ring;

namespace Alkanet.Vmm.Live;

/// <summary>How to run one traced guest: what boots (<see cref="Launch"/>: the Linux analysis guest or a user's disk
/// image) and everything every run shares — the output folder, the limits, the ring and where records go.
/// A record, so a test or caller varies one field with <c>with</c>.</summary>
public sealed record TracedRunOptions
{
    /// <summary>What boots and how the plugin is told about it.</summary>
    public required RunLaunch Launch { get; init; }
    public required string OutDirectory { get; init; }
    /// <summary>Kill QEMU after this long; null: the launch's default (<see cref="RunLaunch.DefaultTimeout"/>).</summary>
    public TimeSpan? Timeout { get; init; }
    public int Cpus { get; init; } = 2;
    /// <summary>Give the guest a NIC on the run's isolated network (<see cref="Network.AnalysisNetwork"/>: INetSim's fake
    /// services, nothing else), captured into DIR/network.pcap; off by default (no NIC).</summary>
    public bool Network { get; init; }
    /// <summary>With <see cref="Network"/>: the Linux guest asks the run's DHCP server for its address instead of the
    /// static one (what an <c>--image</c> guest does; tests the DHCP server).</summary>
    public bool GuestDhcp { get; init; }
    /// <summary>The capture's bound in bytes (<see cref="Network.PcapBound"/>): past it the pcap is cut and run.json says so.</summary>
    public long CaptureLimitBytes { get; init; } = 64L << 20;
    /// <summary>With <see cref="Network"/>: parse the capture with Suricata after the run (DIR/suricata/eve.json, DIR/network.json).</summary>
    public bool ParseCapture { get; init; } = true;
    /// <summary>A folder of the user's Suricata *.rules, read after the project's own (data/suricata).</summary>
    public string? SuricataRules { get; init; }
    /// <summary>False: boot the same guest without the plugin (an untraced baseline for the figures).</summary>
    public bool Traced { get; init; } = true;
    public bool DropWhenFull { get; init; }
    public int RingSlots { get; init; } = RingLayout.DefaultSlotCount;
    /// <summary>True: every ENTER carries the raw args (one more guest read per call); false (default): only decoded calls.</summary>
    public bool AllArgs { get; init; }
    /// <summary>Extra plugin arguments (",key=value..."), e.g. the bench's stage=hit|decode.</summary>
    public string PluginExtra { get; init; } = "";
    /// <summary>Keep guest RAM in this file (see <see cref="QemuLaunch.MemoryFile"/>).</summary>
    public string? MemoryFile { get; init; }
    /// <summary>Extra sinks (the logging client, tests); the file sink DIR/trace.jsonl is always written.</summary>
    public IReadOnlyList<IRecordSink> ExtraSinks { get; init; } = [];
    /// <summary>Called with the ring's control block before QEMU starts (pause, process filter, drop mode).</summary>
    public Action<TraceRing>? OnRingReady { get; init; }
    /// <summary>Called before the ring is unmapped (also on failure): whoever kept it from <see cref="OnRingReady"/> lets go.</summary>
    public Action<TraceRing>? OnRingClosing { get; init; }
    /// <summary>Records the drain leaves out (not numbered, not written); e.g. a logger's filter. Read per record.</summary>
    public Func<SyscallRecord, bool>? RecordFilter { get; init; }
    /// <summary>Cancelled to end the run early (e.g. a logger's stop): the ring is drained, QEMU stopped, outcome Stopped.</summary>
    public CancellationToken Stop { get; init; }
    /// <summary>Called with the QEMU process id once it runs (tests use it to kill QEMU mid-run).</summary>
    public Action<int>? OnStarted { get; init; }
    /// <summary>Slows the drain (tests of a full ring): sleep this long after each drained batch.</summary>
    public TimeSpan DrainDelay { get; init; }
    /// <summary>Screenshots of a launch with a display (<see cref="RunLaunch.HasDisplay"/>) into DIR/screenshots: at the end
    /// (default), and every <see cref="ScreenshotEvery"/> when set; false: none.</summary>
    public bool Screenshots { get; init; } = true;
    public TimeSpan? ScreenshotEvery { get; init; }
    /// <summary>Nice value (0..19) for the drain thread; 0 (default) keeps the tracer's. Measured: on an oversubscribed
    /// host a lower drain priority fills the ring and back-pressure then slows the guest more, so it is off.</summary>
    public int DrainNice { get; init; }
}
