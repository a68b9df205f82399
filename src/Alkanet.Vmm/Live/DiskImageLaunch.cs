using System.Globalization;
using System.Text.Json;
using Alkanet.Vmm.Qemu;

namespace Alkanet.Vmm.Live;

/// <summary>A user's own Windows x64 disk image: booted through OVMF (UEFI; a per-run copy of the variable store) with
/// <c>snapshot=on</c> (writes go to a temporary overlay QEMU deletes, so the image is never modified), the sample on a
/// second vvfat drive under \alkanet\ (<see cref="SampleDrive"/>), and the plugin in Windows mode, which finds
/// ntoskrnl inside the guest. A clean QEMU exit (-no-reboot) is the guest's power-off.</summary>
public sealed record DiskImageLaunch : RunLaunch
{
    private string? _format;

    /// <summary>The disk image (raw, qcow2, vmdk, vhdx or vdi). Never written: QEMU runs it with snapshot=on.</summary>
    public required string Image { get; init; }
    /// <summary>A file or folder put on a second, read-only drive under \alkanet\ (with run.cmd); null: none.</summary>
    public string? Sample { get; init; }
    public int MemoryMiB { get; init; } = 4096;
    /// <summary>The ISF folder the plugin searches (null: the default profile folder, plus the embedded ISF).</summary>
    public string? Profiles { get; init; }
    /// <summary>The -cpu model; Windows 10 x64 needs CMPXCHG16B, LAHF/SAHF and PREFETCHW, which QEMU's default lacks.</summary>
    public string CpuModel { get; init; } = "max";
    /// <summary>Start from this prepared snapshot of <see cref="Image"/> (<c>alkanet image prepare</c>) instead of booting:
    /// its overlay (under a per-run snapshot=on overlay), its saved machine state, its UEFI variables; null: a cold boot.</summary>
    public ImageSnapshot? Snapshot { get; init; }

    public override string Os => "windows";

    public override string Name => Path.GetFileNameWithoutExtension(Path.GetFullPath(Sample ?? Image).TrimEnd('/'));

    public override TimeSpan DefaultTimeout => TimeSpan.FromMinutes(10);

    public override bool GuestReportsSample => false;

    public override bool HasDisplay => true;

    public override bool Restores => Snapshot is not null;

    private string ImagePath => Path.GetFullPath(Image);

    /// <summary>The image's format (from its magic bytes; read by <see cref="Check"/>).</summary>
    public string Format => _format ??= DiskFormat(ImagePath);

    public override void Check(QemuInstallation qemu, Action<string>? log)
    {
        if (!File.Exists(ImagePath)) throw new FileNotFoundException($"the disk image {ImagePath} does not exist", ImagePath);
        if (Sample is not null && !File.Exists(Sample) && !Directory.Exists(Sample))
            throw new FileNotFoundException($"the sample {Path.GetFullPath(Sample)} does not exist", Sample);
        _ = Format;
        QemuInstallation.Ovmf();
    }

    public override Staged Stage(string work, string consoleLog, TracedRunOptions options, Action<string>? log)
    {
        if (Snapshot is { } snap && (snap.Cpus != options.Cpus || snap.MemoryMiB != MemoryMiB || snap.Network != options.Network))
            throw new InvalidOperationException($"snapshot '{snap.Name}' was saved with {snap.Cpus} vCPUs, {snap.MemoryMiB} MiB and " +
                $"{(snap.Network ? "a" : "no")} NIC; a restore must use the same machine");
        var vars = Path.Combine(work, "OVMF_VARS.fd");
        File.Copy(Snapshot?.Vars ?? QemuInstallation.Ovmf().Vars, vars);
        var drives = new List<string>
        {
            Snapshot is null ? ImageDrive(ImagePath, Format, snapshotOn: true) : ImageDrive(Snapshot.Overlay, "qcow2", snapshotOn: true),
        };
        string? processName = null;
        string? folder = null;
        if (Sample is not null) folder = SampleDrive.Write(Sample, work, out processName);
        else if (Snapshot is not null) folder = SampleDrive.Empty(work); // the saved machine has the drive: same devices
        if (folder is not null) drives.Add(SampleDriveSpec(folder));
        log?.Invoke(Snapshot is null
            ? $"run: booting {ImagePath} ({Format}, snapshot=on) through OVMF, {options.Cpus} vCPUs, {MemoryMiB} MiB"
            : $"run: restoring snapshot '{Snapshot.Name}' of {ImagePath} ({Snapshot.Folder}), {options.Cpus} vCPUs, {MemoryMiB} MiB");
        return new Staged(Machine(consoleLog, vars, drives, MemoryMiB) with { IncomingState = Snapshot?.State }, processName);
    }

    /// <summary>QEMU's launch for a disk image, shared with <see cref="ImagePrepare"/> (a restored machine must have the
    /// devices it was saved with): q35, OVMF, the drives, the e1000e NIC model, <see cref="CpuModel"/>.</summary>
    internal QemuLaunch Machine(string consoleLog, string vars, IReadOnlyList<string> drives, int memoryMiB) => new()
    {
        ConsoleLog = consoleLog, Firmware = Firmware.Uefi, OvmfVars = vars, MemoryMiB = memoryMiB, NicModel = "e1000e",
        Drives = drives, CpuModel = CpuModel,
    };

    /// <summary>The boot disk, first AHCI port; snapshot=on: writes go to a temporary overlay QEMU deletes.</summary>
    internal static string ImageDrive(string path, string format, bool snapshotOn) =>
        $"file={QemuPath(path)},format={format},if=ide,index=0,media=disk{(snapshotOn ? ",snapshot=on" : "")}";

    /// <summary>The sample drive (vvfat); IDE disks cannot be read-only, so the overlay takes any write.</summary>
    internal static string SampleDriveSpec(string folder) => $"file=fat:{QemuPath(folder)},format=raw,if=ide,index=1,media=disk,snapshot=on";

    public override string PluginArguments(string library, string ringPath, bool allArgs) =>
        $"{library},os=windows,ring={ringPath},args={ArgsMode(allArgs)}{(Profiles is null ? "" : ",profiles=" + Path.GetFullPath(Profiles))}";

    public override void WriteFacts(Utf8JsonWriter w, TracedRunResult result)
    {
        w.WriteString("image", ImagePath);
        w.WriteString("image_format", Format);
        if (Sample is not null) w.WriteString("sample", Path.GetFileName(Path.GetFullPath(Sample).TrimEnd('/')));
        w.WriteString("firmware", "uefi");
        w.WriteNumber("memory_mib", MemoryMiB);
        if (Snapshot is not { } snap) return;
        w.WriteStartObject("snapshot");
        w.WriteString("name", snap.Name);
        w.WriteString("folder", snap.Folder);
        if (result.ResumedAfterSeconds is { } resumed) w.WriteNumber("resumed_after_s", Math.Round(resumed, 3));
        if (result.StartKeyAfterSeconds is { } key) w.WriteNumber("start_key_after_s", Math.Round(key, 3));
        w.WriteEndObject();
    }

    public override string Summary(TracedRunResult r) =>
        $"kernel {(r.KernelFound ? $"found at 0x{r.KernelBase:x}" : "not found")}, " +
        $"{r.DiscoveryAttempts.ToString(CultureInfo.InvariantCulture)} discovery attempt(s), " +
        $"{r.Hits.ToString(CultureInfo.InvariantCulture)} hook hits";

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
}
