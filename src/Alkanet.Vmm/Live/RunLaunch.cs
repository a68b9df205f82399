using System.Text.Json;
using Alkanet.Vmm.Qemu;

namespace Alkanet.Vmm.Live;

/// <summary>What a traced run boots and how the plugin is told about it — the one part of <see cref="TracedRun"/>
/// that differs between the embedded Linux analysis guest (<see cref="AnalysisGuestLaunch"/>) and a user's disk
/// image (<see cref="DiskImageLaunch"/>). Everything else (QEMU, the ring, the drain, the outcome, run.json) is common.</summary>
public abstract record RunLaunch
{
    /// <summary>The guest's OS as run.json names it ("linux", "windows").</summary>
    public abstract string Os { get; }

    /// <summary>The run's name (the sample's, else the image's): the default output folder is out/run-NAME-TIME.</summary>
    public abstract string Name { get; }

    /// <summary>How long a run may take unless told otherwise (a Windows boot under TCG takes minutes).</summary>
    public abstract TimeSpan DefaultTimeout { get; }

    /// <summary>True when the guest's own console reports the sample's start and exit and its power-off (the analysis
    /// guest's init): a run is complete only with them. False: a clean QEMU exit is the guest's power-off.</summary>
    public abstract bool GuestReportsSample { get; }

    /// <summary>The guest has a display worth screenshots (a user's image: its desktop); the analysis guest has none.</summary>
    public virtual bool HasDisplay => false;

    /// <summary>QEMU starts from a saved machine state, paused once loaded: the run resumes it over QMP.</summary>
    public virtual bool Restores => false;

    /// <summary>Checks the inputs and readies what is kept across runs (the cached guest); throws, naming what is
    /// missing, before the run writes anything. The CLI calls it before it connects to a logger; <see cref="TracedRun"/>
    /// calls it again, which is cheap (what it readied is kept).</summary>
    public abstract void Check(QemuInstallation qemu, Action<string>? log);

    /// <summary>Writes this run's files into <paramref name="work"/> (an initramfs, a copy of the UEFI variable store,
    /// the sample drive) and returns QEMU's launch; the run adds the common parts (vCPUs, network, plugin).</summary>
    public abstract Staged Stage(string work, string consoleLog, TracedRunOptions options, Action<string>? log);

    /// <summary>The <c>-plugin</c> value before the run's extra arguments: the library, then what the plugin needs for this guest.</summary>
    public abstract string PluginArguments(string library, string ringPath, bool allArgs);

    /// <summary>The launch's own facts in run.json (what booted, the firmware, where the kernel was found).</summary>
    public abstract void WriteFacts(Utf8JsonWriter w, TracedRunResult result);

    /// <summary>The launch's part of the one-line summary the CLI prints (the sample's exit, or the kernel's discovery).</summary>
    public abstract string Summary(TracedRunResult result);

    /// <param name="Qemu">The launch without the common parts.</param>
    /// <param name="SampleProcessName">The sample's process name as the guest's kernel keeps it; null: no sample.</param>
    public sealed record Staged(QemuLaunch Qemu, string? SampleProcessName);

    private protected static string ArgsMode(bool allArgs) => allArgs ? "all" : "decoded";
}
