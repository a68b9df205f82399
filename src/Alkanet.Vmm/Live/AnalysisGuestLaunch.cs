using System.Globalization;
using System.Text.Json;
using Alkanet.Vmm.Guest;
using Alkanet.Vmm.Qemu;

namespace Alkanet.Vmm.Live;

/// <summary>The embedded Linux analysis guest: the cached kernel boots with the sample in its initramfs (PVH boots
/// the vmlinux directly; OVMF boots the EFI-stub bzImage with a per-run variable store), and the plugin gets the
/// guest's Linux profile. The guest's init prints the sample's start, exit and power-off on the console.</summary>
public sealed record AnalysisGuestLaunch : RunLaunch
{
    private AnalysisGuest? _guest;

    /// <summary>The sample's name (run.json, the output folder).</summary>
    public required string SampleName { get; init; }
    /// <summary>The static executable or #! script put at <see cref="AnalysisGuest.SampleGuestPath"/>.</summary>
    public required byte[] Sample { get; init; }
    public Firmware Firmware { get; init; } = Firmware.Bios;

    /// <summary>The guest to boot; null: the cached one, prepared by <see cref="Check"/>.</summary>
    public AnalysisGuest? Guest { get => _guest; init => _guest = value; }

    public override string Os => "linux";

    public override string Name => SampleName;

    public override TimeSpan DefaultTimeout => TimeSpan.FromSeconds(60);

    public override bool GuestReportsSample => true;

    public override void Check(QemuInstallation qemu, Action<string>? log) => _guest ??= AnalysisGuest.Prepare(qemu, log);

    private AnalysisGuest Prepared => _guest ?? throw new InvalidOperationException("the analysis guest is not prepared (Check first)");

    public override Staged Stage(string work, string consoleLog, TracedRunOptions options, Action<string>? log)
    {
        var initrd = Path.Combine(work, "initrd.cpio");
        AnalysisGuest.Initramfs(initrd, Sample, Prepared.NowHelper, SampleName, options.Network ? Prepared.NetModuleFiles() : []);
        string? vars = null;
        if (Firmware == Firmware.Uefi)
        {
            vars = Path.Combine(work, "OVMF_VARS.fd");
            File.Copy(QemuInstallation.Ovmf().Vars, vars);
        }
        return new Staged(new QemuLaunch
        {
            // PVH boots the ELF directly (no decompression); OVMF needs the EFI-stub bzImage.
            Kernel = Firmware == Firmware.Uefi ? Prepared.Vmlinuz : Prepared.Vmlinux,
            Initrd = initrd,
            CommandLine = AnalysisGuest.CommandLine("run") + (!options.Network ? ""
                : " " + (options.GuestDhcp ? Network.AnalysisNetwork.GuestDhcpCommandLine : Network.AnalysisNetwork.GuestCommandLine)),
            ConsoleLog = consoleLog,
            Firmware = Firmware,
            OvmfVars = vars,
            NicModel = AnalysisGuest.NicModel,
        }, AnalysisGuest.SampleProcessNameOf(SampleName));
    }

    public override string PluginArguments(string library, string ringPath, bool allArgs) =>
        $"{library},profile={Prepared.ProfilePath},ring={ringPath},args={ArgsMode(allArgs)}";

    public override void WriteFacts(Utf8JsonWriter w, TracedRunResult result)
    {
        w.WriteString("sample", SampleName);
        w.WriteString("firmware", Firmware.ToString().ToLowerInvariant());
        w.WriteString("kaslr_slide", result.Slide.ToString("x", CultureInfo.InvariantCulture));
    }

    public override string Summary(TracedRunResult r) =>
        $"sample exit {r.SampleExitStatus?.ToString(CultureInfo.InvariantCulture) ?? "none"}, " +
        $"boot-to-sample {r.BootToSampleSeconds?.ToString("0.00", CultureInfo.InvariantCulture) ?? "?"} s";
}
