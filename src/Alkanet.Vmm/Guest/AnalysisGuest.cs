using System.Diagnostics;
using System.Text;
using Alkanet.Introspection.Linux;
using Alkanet.Vmm.Host;
using Alkanet.Vmm.Qemu;

namespace Alkanet.Vmm.Guest;

/// <summary>
/// The Linux analysis guest, built once from Debian packages and cached: the distribution kernel (vmlinuz from the
/// package setup fetched, and the vmlinux unpacked from it for a PVH boot), its kallsyms from one <c>nokaslr</c>
/// boot, the Linux profile derived from them, and a busybox initramfs with guest/init. <see cref="Initramfs"/> adds
/// a sample per run.
/// </summary>
public sealed class AnalysisGuest
{
    public required string Directory { get; init; }
    public string Vmlinuz => Path.Combine(Directory, "vmlinuz");
    public string Vmlinux => Path.Combine(Directory, "vmlinux");
    public string KallsymsPath => Path.Combine(Directory, "kallsyms.txt");
    public string ProfilePath => Path.Combine(Directory, "profile.txt");
    public string NowHelper => Path.Combine(Directory, "alkanet-now");
    /// <summary>The NIC driver a networked run loads (Debian builds NIC drivers as modules; setup.d/55-network.sh fetches it).</summary>
    public string NetModulesDirectory => Path.Combine(Directory, "net-modules");
    /// <summary>The guest's NIC is an e1000: one module with no dependencies (virtio_net needs five).</summary>
    public static readonly string[] NetModules = ["e1000.ko"];
    public const string NicModel = "e1000";

    /// <summary>The NIC driver's module files; missing: a <see cref="PrerequisiteMissingException"/> naming the setup step.</summary>
    public IReadOnlyList<string> NetModuleFiles()
    {
        var files = NetModules.Select(m => Path.Combine(NetModulesDirectory, m)).ToList();
        if (files.FirstOrDefault(f => !File.Exists(f)) is { } missing)
            throw new PrerequisiteMissingException($"the analysis guest's NIC driver ({missing}) has not been fetched; fetch it with: " +
                "sudo bash scripts/setup.sh   (or just its step: sudo bash scripts/setup.d/55-network.sh)");
        return files;
    }
    public string Release => File.Exists(Path.Combine(Directory, "package")) ? File.ReadAllText(Path.Combine(Directory, "package")).Trim()
        : "unknown";

    /// <summary>Makes sure every cached piece exists, building what is missing (the kallsyms boot takes ≈ 10 s once).</summary>
    public static AnalysisGuest Prepare(QemuInstallation qemu, Action<string>? log = null, string? directory = null)
    {
        var g = new AnalysisGuest { Directory = directory ?? AlkanetPaths.LinuxGuest() };
        if (!File.Exists(g.Vmlinuz))
            throw new PrerequisiteMissingException($"the analysis guest's kernel ({g.Vmlinuz}) has not been fetched; fetch it with: " +
                $"{PrerequisiteMissingException.InstallCommand}");
        if (!File.Exists(Busybox))
            throw new PrerequisiteMissingException($"busybox-static ({Busybox}) is not installed; install it with: " +
                $"{PrerequisiteMissingException.InstallCommand}");
        if (!File.Exists(g.Vmlinux)) { log?.Invoke("guest: unpacking vmlinux from vmlinuz"); ExtractVmlinux(g.Vmlinuz, g.Vmlinux); }
        if (!File.Exists(g.KallsymsPath)) { log?.Invoke("guest: one nokaslr boot to read /proc/kallsyms"); g.BootForKallsyms(qemu); }
        if (!File.Exists(g.ProfilePath) || !ProfileIsCurrent(g.ProfilePath))
        {
            log?.Invoke("guest: deriving the Linux profile (BTF offsets, hook sites, sys_call_table)");
            var profile = LinuxProfileBuilder.Build(ElfImage.Load(g.Vmlinux), Kallsyms.Load(g.KallsymsPath),
                g.Release, w => log?.Invoke("guest: warning: " + w));
            profile.Save(g.ProfilePath);
        }
        if (!File.Exists(g.NowHelper)) SampleBuilder.CompileSource(Resource("guest/now.c"), "now.c", g.NowHelper);
        return g;
    }

    public const string Busybox = "/bin/busybox";

    private static bool ProfileIsCurrent(string path)
    {
        try { return LinuxProfileBuilder.IsComplete(LinuxProfile.Load(path)); }
        catch (InvalidDataException) { return false; }
    }

    public LinuxProfile LoadProfile() => LinuxProfile.Load(ProfilePath);

    /// <summary>The vmlinux ELF is the xz stream inside vmlinuz (from its first xz magic).</summary>
    public static void ExtractVmlinux(string vmlinuz, string vmlinux)
    {
        var data = File.ReadAllBytes(vmlinuz);
        var at = data.AsSpan().IndexOf((ReadOnlySpan<byte>)[0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]);
        if (at < 0) throw new InvalidDataException($"{vmlinuz}: no xz stream (the kernel is not xz-compressed)");
        var xz = HostTools.FindOnPath("xz") ??
            throw new PrerequisiteMissingException($"xz is not installed; install it with: {PrerequisiteMissingException.InstallCommand}");
        var stream = vmlinux + ".xz";
        using (var f = File.Create(stream)) f.Write(data, at, data.Length - at);
        var psi = new ProcessStartInfo(xz) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-dc"); psi.ArgumentList.Add("--single-stream"); psi.ArgumentList.Add(stream);
        using var p = Process.Start(psi)!;
        var tmp = vmlinux + ".partial";
        var errors = p.StandardError.ReadToEndAsync();
        using (var f = File.Create(tmp)) p.StandardOutput.BaseStream.CopyTo(f);
        p.WaitForExit();
        File.Delete(stream);
        if (p.ExitCode != 0) throw new InvalidDataException($"{vmlinuz}: xz failed at byte offset {at}: {errors.Result.Trim()}");
        File.Move(tmp, vmlinux, overwrite: true);
    }

    /// <summary>Where an unnamed sample lives in the guest (guest/init runs it from there).</summary>
    public const string SampleGuestPath = "/sample/run";

    /// <summary>The file guest/init reads the sample's file name from (a sample is run as /sample/NAME, so its process
    /// keeps its own name instead of "run").</summary>
    public const string SampleNameFile = "etc/alkanet-sample";

    /// <summary>The sample's process name when it has no name of its own.</summary>
    public static string SampleProcessName => SampleProcessNameOf(null);

    /// <summary>The file name a sample is run under in the guest: its own, when it is a plain file name (letters, digits,
    /// <c>._+-</c>, not "." or ".."), else "run".</summary>
    public static string SampleFileName(string? sampleName) =>
        sampleName is { Length: > 0 and <= 255 } n && n is not "." and not ".."
            && n.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '+')
            ? n : Path.GetFileName(SampleGuestPath);

    /// <summary>The sample's process name as the guest kernel shows it (task comm: the executed file's base name,
    /// at most 15 bytes) — what the report tool matches the sample by.</summary>
    public static string SampleProcessNameOf(string? sampleName)
    {
        var name = SampleFileName(sampleName);
        return name.Length > 15 ? name[..15] : name;
    }

    /// <summary>Writes the initramfs: busybox, /init, and (for a run) the sample as /sample/run.</summary>
    public static void Initramfs(string path, byte[]? sample) => Initramfs(path, sample, null);

    /// <summary>As above, with the timing helper (guest/now.c, static) as /bin/alkanet-now when given, the sample under its
    /// own file name (<see cref="SampleFileName"/>) when <paramref name="sampleName"/> is given, and kernel modules put in
    /// /lib/modules (a networked run's NIC driver).</summary>
    public static void Initramfs(string path, byte[]? sample, string? nowHelper, string? sampleName = null,
        IReadOnlyList<string>? modules = null)
    {
        using var fs = File.Create(path);
        using (var cpio = new CpioWriter(fs))
        {
            foreach (var d in new[] { "bin", "sbin", "usr", "usr/bin", "usr/sbin", "proc", "sys", "dev", "tmp", "etc", "root", "sample", "var",
                "var/spool" })
                cpio.AddDirectory(d);
            cpio.AddFile("bin/busybox", File.ReadAllBytes(Busybox), executable: true);
            cpio.AddSymlink("bin/sh", "busybox");
            cpio.AddFile("init", InitScript(), executable: true);
            if (sample is not null)
            {
                var file = SampleFileName(sampleName);
                cpio.AddFile("sample/" + file, sample, executable: true);
                cpio.AddFile(SampleNameFile, System.Text.Encoding.ASCII.GetBytes(file + "\n"), executable: false);
            }
            if (nowHelper is not null && File.Exists(nowHelper)) cpio.AddFile("bin/alkanet-now", File.ReadAllBytes(nowHelper), executable: true);
            modules ??= [];
            if (modules.Count > 0) { cpio.AddDirectory("lib"); cpio.AddDirectory("lib/modules"); }
            foreach (var m in modules) cpio.AddFile("lib/modules/" + Path.GetFileName(m), File.ReadAllBytes(m), executable: false);
        }
    }

    /// <summary>guest/init, embedded at build time.</summary>
    public static byte[] InitScript() => Resource("guest/init");

    private static byte[] Resource(string name)
    {
        using var s = typeof(AnalysisGuest).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"{name} is not embedded in Alkanet.Vmm");
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }

    // no_timer_check: under TCG on a loaded host the kernel's IO-APIC timer check can miss its few-jiffy window and
    // panic ("IO-APIC + timer doesn't work"), seen with load averages of 40+; the emulated timer works, so skip the check.
    public static string CommandLine(string mode, bool kaslr = true) =>
        $"console=ttyS0 quiet panic=-1 oops=panic no_timer_check {(kaslr ? "" : "nokaslr ")}alkanet.mode={mode}";

    private void BootForKallsyms(QemuInstallation qemu)
    {
        var work = System.IO.Directory.CreateTempSubdirectory("alkanet-kallsyms-");
        try
        {
            var initrd = Path.Combine(work.FullName, "initrd.cpio");
            Initramfs(initrd, null);
            var console = Path.Combine(work.FullName, "console.log");
            using var vm = QemuMachine.Start(qemu, new QemuLaunch { Kernel = Vmlinux, Initrd = initrd, CommandLine = CommandLine("kallsyms",
                kaslr: false), ConsoleLog = console });
            if (!vm.WaitForExit(TimeSpan.FromMinutes(3))) throw new TimeoutException("the kallsyms boot did not power off within 3 minutes");
            var text = File.ReadAllText(console);
            var begin = text.IndexOf("ALKANET-KALLSYMS-BEGIN", StringComparison.Ordinal);
            var end = text.IndexOf("ALKANET-KALLSYMS-END", StringComparison.Ordinal);
            if (begin < 0 || end < begin)
                throw new InvalidDataException($"the kallsyms boot printed no symbol list; console: {Tail(text)} {vm.Diagnostics()}");
            var body = text[(begin + 22)..end].Replace("\r", "", StringComparison.Ordinal);
            var k = Kallsyms.Parse(new StringReader(body), "kallsyms boot");
            if (!k.TryGet("x64_sys_call", out _)) throw new InvalidDataException("the kallsyms boot's symbol list lacks x64_sys_call");
            File.WriteAllText(KallsymsPath + ".partial", body.TrimStart('\n'), new UTF8Encoding(false));
            File.Move(KallsymsPath + ".partial", KallsymsPath, overwrite: true);
        }
        finally
        {
            work.Delete(true);
        }
    }

    private static string Tail(string s) => s.Length <= 600 ? s : s[^600..];
}
