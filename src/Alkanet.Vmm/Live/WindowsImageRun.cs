using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Alkanet.Core.Records;
using Alkanet.Core.Sinks;
using Alkanet.Vmm.Guest;
using Alkanet.Vmm.Qemu;
using Alkanet.Ring;

namespace Alkanet.Vmm.Live;

public sealed class WindowsImageRunOptions
{
    /// <summary>The user's disk image (raw, qcow2, vmdk, vhdx or vdi). Never written: QEMU runs it with snapshot=on.</summary>
    public required string Image { get; init; }
    /// <summary>A file or folder put on a second, read-only drive under \alkanet\ (with run.cmd); null: none.</summary>
    public string? Sample { get; init; }
    public required string OutDirectory { get; init; }
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(10);
    public int MemoryMiB { get; init; } = 4096;
    public int Cpus { get; init; } = 2;
    public bool Network { get; init; }
    /// <summary>The ISF folder the plugin searches (null: the default profile folder, plus the embedded ISF).</summary>
    public string? Profiles { get; init; }
    public bool DropWhenFull { get; init; }
    /// <summary>False: boot the same image without the plugin (an untraced baseline for the figures).</summary>
    public bool Traced { get; init; } = true;
    public bool AllArgs { get; init; }
    /// <summary>Extra plugin arguments (",key=value..."), e.g. the bench's stage=hit|decode.</summary>
    public string PluginExtra { get; init; } = "";
    public IReadOnlyList<IRecordSink> ExtraSinks { get; init; } = [];
    public Action<TraceRing>? OnRingReady { get; init; }
    public Action<TraceRing>? OnRingClosing { get; init; }
    public Func<SyscallRecord, bool>? RecordFilter { get; init; }
    public CancellationToken Stop { get; init; }
    /// <summary>The -cpu model; Windows 10 x64 needs CMPXCHG16B, LAHF/SAHF and PREFETCHW, which QEMU's default lacks.</summary>
    public string CpuModel { get; init; } = "max";
}

public sealed class WindowsImageRunResult : TracedRunResult
{
    /// <summary>The guest powered off (or, with -no-reboot, rebooted) by itself.</summary>
    public bool Complete => Outcome == RunOutcome.PoweredOff;
    public bool KernelFound { get; set; }
    public ulong KernelBase { get; set; }
    /// <summary>The plugin's discovery line: "ntoskrnl at ..., build ..." or why not found yet.</summary>
    public string Discovery { get; set; } = "";
    public ulong DiscoveryAttempts { get; set; }
    public ulong DiscoveryFailures { get; set; }
    public bool PluginStarted { get; set; }
    /// <summary>The sample's process name as Windows keeps it (EPROCESS.ImageFileName: at most 14 characters).</summary>
    public string? SampleProcessName { get; set; }
}

/// <summary>
/// <c>alkanet run --image DISK --os windows</c>: boots a user's own Windows x64 image through OVMF (UEFI; a per-run
/// copy of the variable store) under TCG with the plugin in Windows mode, which finds ntoskrnl inside the guest and
/// hooks its system-call entry and return; the ring is drained into DIR/trace.jsonl until the guest powers off or the
/// timeout. The image is opened with snapshot=on (writes go to a temporary overlay QEMU deletes), so it is never
/// modified. Writes DIR/run.json and DIR/console.log.
/// </summary>
public static class WindowsImageRun
{
    public static WindowsImageRunResult Execute(WindowsImageRunOptions o, Action<string>? log = null)
    {
        var image = Path.GetFullPath(o.Image);
        if (!File.Exists(image)) throw new FileNotFoundException($"the disk image {image} does not exist", image);
        if (o.Sample is not null && !File.Exists(o.Sample) && !Directory.Exists(o.Sample))
            throw new FileNotFoundException($"the sample {Path.GetFullPath(o.Sample)} does not exist", o.Sample);
        var format = DiskFormat(image);
        var qemu = QemuInstallation.Find();
        var ovmf = QemuInstallation.Ovmf();
        var plugin = o.Traced ? PluginLocator.Locate(log) : null;
        Directory.CreateDirectory(o.OutDirectory);
        var work = Directory.CreateTempSubdirectory("alkanet-winrun-");
        var result = new WindowsImageRunResult { TracePath = Path.Combine(o.OutDirectory, "trace.jsonl") };
        var wall = Stopwatch.StartNew();
        try
        {
            var vars = Path.Combine(work.FullName, "OVMF_VARS.fd");
            File.Copy(ovmf.Vars, vars);
            var drives = new List<string> { $"file={QemuPath(image)},format={format},if=ide,index=0,media=disk,snapshot=on" };
            if (o.Sample is not null)
            {
                var folder = SampleFolder(o.Sample, work.FullName, out var processName);
                result.SampleProcessName = processName;
                drives.Add($"file=fat:{QemuPath(folder)},format=raw,if=ide,index=1,media=disk,snapshot=on"); // IDE disks cannot be read-only; the overlay takes any write
            }
            var console = Path.Combine(o.OutDirectory, "console.log");
            File.Delete(console);
            log?.Invoke($"run: booting {image} ({format}, snapshot=on) through OVMF, {o.Cpus} vCPUs, {o.MemoryMiB} MiB");
            var session = QemuRingSession.Run(qemu, ringPath => new QemuLaunch
            {
                ConsoleLog = console, Firmware = Firmware.Uefi, OvmfVars = vars, Cpus = o.Cpus, MemoryMiB = o.MemoryMiB,
                Network = o.Network, NicModel = "e1000e", Drives = drives, CpuModel = o.CpuModel,
                Plugin = plugin is null ? null
                    : $"{plugin},os=windows,ring={ringPath},args={(o.AllArgs ? "all" : "decoded")}{(o.Profiles is null ? "" : ",profiles=" + Path.GetFullPath(o.Profiles))}{o.PluginExtra}",
            }, new QemuRingSession.Output
            {
                TracePath = result.TracePath, ExtraSinks = o.ExtraSinks, Filter = o.RecordFilter, OnRingReady = o.OnRingReady,
                OnRingClosing = o.OnRingClosing, DropWhenFull = o.DropWhenFull,
            }, new QemuRingSession.Limits(o.Timeout, Stop: o.Stop));
            result.Take(session, session.ExitCode == 0 ? RunOutcome.PoweredOff : RunOutcome.QemuDied);
            result.PluginStarted = session.PluginState != 0;
            result.KernelFound = (session.PluginState & RingLayout.PluginKernelFound) != 0;
            result.KernelBase = session.KernelBase;
            result.DiscoveryAttempts = session.DiscoveryAttempts;
            result.DiscoveryFailures = session.DiscoveryFailures;
            result.Discovery = !o.Traced ? "untraced run (no plugin)" : result.PluginStarted ? session.OsStatus : "the plugin did not start: " + FirstLines(result.Detail);
        }
        finally
        {
            work.Delete(true);
        }
        result.WallSeconds = wall.Elapsed.TotalSeconds;
        WriteSummary(o, image, format, result);
        return result;
    }

    /// <summary>QEMU's -drive option splits on commas: a comma in a path is written twice.</summary>
    private static string QemuPath(string path) => path.Replace(",", ",,", StringComparison.Ordinal);

    /// <summary>The image format from its magic bytes (raw when none matches), so QEMU never probes a raw image.</summary>
    public static string DiskFormat(string image)
    {
        Span<byte> head = stackalloc byte[8];
        using (var f = File.OpenRead(image)) head = head[..f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false)];
        if (head.StartsWith((ReadOnlySpan<byte>)[0x51, 0x46, 0x49, 0xFB])) return "qcow2"; // "QFI\xfb"
        if (head.StartsWith("KDMV"u8)) return "vmdk";
        if (head.StartsWith("vhdxfile"u8)) return "vhdx";
        if (head.StartsWith("<<< "u8)) return "vdi";
        return "raw";
    }

    /// <summary>The read-only sample drive's folder: \alkanet\ holds the sample and run.cmd, which runs it and then
    /// powers Windows off (the image's own autorun task calls run.cmd; docs/WINDOWS.md shows one).</summary>
    private static string SampleFolder(string sample, string work, out string processName)
    {
        var root = Path.Combine(work, "sample-drive");
        var dir = Path.Combine(root, "alkanet");
        Directory.CreateDirectory(dir);
        string program;
        if (Directory.Exists(sample))
        {
            foreach (var f in Directory.EnumerateFiles(sample, "*", SearchOption.AllDirectories))
            {
                var to = Path.Combine(dir, Path.GetRelativePath(sample, f));
                Directory.CreateDirectory(Path.GetDirectoryName(to)!);
                File.Copy(f, to);
            }
            program = Directory.EnumerateFiles(sample, "*.exe").Select(Path.GetFileName).Order(StringComparer.Ordinal).FirstOrDefault()
                ?? throw new InvalidDataException($"the sample folder {Path.GetFullPath(sample)} has no .exe at its top level to run");
        }
        else
        {
            program = Path.GetFileName(sample);
            File.Copy(sample, Path.Combine(dir, program));
        }
        File.WriteAllText(Path.Combine(dir, "run.cmd"), $"@echo off\r\ncd /d \"%~dp0\"\r\n\"%~dp0{program}\"\r\nshutdown /s /t 0\r\n");
        File.WriteAllText(Path.Combine(dir, "sample.txt"), program + "\r\n");
        processName = program.Length > 14 ? program[..14] : program; // EPROCESS.ImageFileName keeps 14 characters
        return root;
    }

    private static string FirstLines(string text) => string.Join(" | ", text.Split('\n').Where(l => l.Length > 0).Take(3));

    private static void WriteSummary(WindowsImageRunOptions o, string image, string format, WindowsImageRunResult r)
    {
        using var fs = File.Create(Path.Combine(o.OutDirectory, "run.json"));
        using var w = new Utf8JsonWriter(fs, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("os", "windows");
        w.WriteString("image", image);
        w.WriteString("image_format", format);
        if (o.Sample is not null) w.WriteString("sample", Path.GetFileName(Path.GetFullPath(o.Sample).TrimEnd('/')));
        if (r.SampleProcessName is not null) w.WriteString("sample_process", r.SampleProcessName);
        w.WriteBoolean("complete", r.Complete);
        w.WriteString("outcome", r.Outcome.ToString());
        w.WriteBoolean("traced", o.Traced);
        w.WriteString("firmware", "uefi");
        w.WriteStartObject("discovery");
        w.WriteBoolean("kernel_found", r.KernelFound);
        if (r.KernelFound) w.WriteString("kernel_base", r.KernelBase.ToString("x", CultureInfo.InvariantCulture));
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
        w.WriteNumber("cpus", o.Cpus);
        w.WriteNumber("memory_mib", o.MemoryMiB);
        w.WriteNumber("wall_s", Math.Round(r.WallSeconds, 3));
        w.WriteNumber("qemu_exit_code", r.QemuExitCode);
        w.WriteString("detail", r.Detail);
        w.WriteEndObject();
    }
}
