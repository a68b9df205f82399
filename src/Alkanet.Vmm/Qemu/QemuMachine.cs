using System.Diagnostics;
using Alkanet.Vmm.Host;

namespace Alkanet.Vmm.Qemu;

public enum Firmware { Bios, Uefi }

/// <summary>What to boot under TCG (never KVM: TCG plugins run only under TCG): the analysis guest's kernel and
/// initramfs, or disks (a user's image) through the firmware; serial console to a file, no network device unless asked.</summary>
public sealed record QemuLaunch
{
    /// <summary>Direct kernel boot (with <see cref="Initrd"/> and <see cref="CommandLine"/>); null boots <see cref="Drives"/>.</summary>
    public string? Kernel { get; init; }
    public string? Initrd { get; init; }
    public string? CommandLine { get; init; }
    public required string ConsoleLog { get; init; }
    /// <summary>"-drive" values, in order (the first is the boot disk).</summary>
    public IReadOnlyList<string> Drives { get; init; } = [];
    /// <summary>"-cpu" model; null keeps QEMU's default.</summary>
    public string? CpuModel { get; init; }
    /// <summary>The network device model when <see cref="Network"/> is on (Windows has no in-box virtio driver: e1000e).</summary>
    public string NicModel { get; init; } = "virtio-net-pci";
    public Firmware Firmware { get; init; } = Firmware.Bios;
    public int Cpus { get; init; } = 2;
    public int MemoryMiB { get; init; } = 512;
    public bool Network { get; init; }
    /// <summary>With <see cref="Network"/>: the network namespace (made by <c>AnalysisNetwork</c>) QEMU runs in, whose tap
    /// <see cref="NetworkTap"/> is the NIC's backend; null: user-mode networking with <c>restrict=on</c> (reaches nothing).</summary>
    public string? NetworkNamespace { get; init; }
    public string NetworkTap { get; init; } = "alk0";
    /// <summary>With <see cref="Network"/>: every frame of the NIC goes to this pcap (QEMU's filter-dump).</summary>
    public string? NetworkCapture { get; init; }
    /// <summary>"-plugin" value (path,arg=value,...), or null for an untraced boot.</summary>
    public string? Plugin { get; init; }
    /// <summary>When set, guest RAM is this shared file (guest-physical address = file offset), kept after QEMU
    /// exits: tests compare guest memory of traced and untraced runs through it.</summary>
    public string? MemoryFile { get; init; }
    /// <summary>Per-run writable copy of the OVMF variable store (UEFI only).</summary>
    public string? OvmfVars { get; init; }
    /// <summary>A QMP server on this unix socket (screenshots, snapshots); null: none.</summary>
    public string? QmpSocket { get; init; }
    /// <summary>Start from this saved machine state (a migration stream in a file: <c>-incoming file:</c>); QEMU waits
    /// paused once it is loaded (the state was saved stopped) until QMP says <c>cont</c>.</summary>
    public string? IncomingState { get; init; }
}

/// <summary>One QEMU process. Started under <c>setpriv --pdeathsig KILL</c> when available, so it cannot outlive
/// the tracer even if the tracer is killed; <see cref="Dispose"/> kills it if it still runs.</summary>
public sealed class QemuMachine : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _stderr = [];

    public int ProcessId { get; }

    private QemuMachine(Process p)
    {
        _process = p;
        ProcessId = p.Id;
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.Add(e.Data); };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.Add(e.Data); };
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
    }

    public static IReadOnlyList<string> Arguments(QemuLaunch l)
    {
        var a = new List<string> { "-machine", l.MemoryFile is null ? "q35" : "q35,memory-backend=ram", "-accel", "tcg,thread=multi", "-m",
            l.MemoryMiB.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-smp", l.Cpus.ToString(System.Globalization.CultureInfo.InvariantCulture), "-display", "none", "-monitor", "none", "-no-reboot",
            "-serial", "file:" + l.ConsoleLog };
        if (l.Kernel is not null) a.AddRange(["-kernel", l.Kernel, "-initrd", l.Initrd ?? "", "-append", l.CommandLine ?? ""]);
        if (l.CpuModel is not null) a.AddRange(["-cpu", l.CpuModel]);
        foreach (var d in l.Drives) a.AddRange(["-drive", d]);
        if (l.MemoryFile is not null)
            a.AddRange(["-object", $"memory-backend-file,id=ram,size={l.MemoryMiB}M,mem-path={l.MemoryFile},share=on"]);
        if (!l.Network) a.AddRange(["-nic", "none"]);
        else NetworkArguments(l, a);
        if (l.Firmware == Firmware.Uefi)
        {
            var (code, _) = QemuInstallation.Ovmf();
            a.AddRange(["-drive", $"if=pflash,format=raw,unit=0,readonly=on,file={code}", "-drive",
                $"if=pflash,format=raw,unit=1,file={l.OvmfVars}"]);
        }
        if (l.QmpSocket is not null) a.AddRange(["-qmp", $"unix:{l.QmpSocket},server=on,wait=off"]);
        if (l.IncomingState is not null) a.AddRange(["-incoming", "file:" + l.IncomingState]);
        if (l.Plugin is not null) a.AddRange(["-plugin", l.Plugin]);
        return a;
    }

    private static void NetworkArguments(QemuLaunch l, List<string> a)
    {
        a.AddRange(["-netdev", l.NetworkNamespace is null
            ? "user,id=net0,restrict=on"
            : $"tap,id=net0,ifname={l.NetworkTap},script=no,downscript=no"]);
        a.AddRange(["-device", $"{l.NicModel},netdev=net0"]);
        if (l.NetworkCapture is not null) a.AddRange(["-object", $"filter-dump,id=capture0,netdev=net0,file={l.NetworkCapture}"]);
    }

    public static QemuMachine Start(QemuInstallation qemu, QemuLaunch launch)
    {
        var command = new List<string>();
        if (HostTools.FindOnPath("setpriv") is { } setpriv) command.AddRange([setpriv, "--pdeathsig", "KILL", "--"]);
        // ip netns exec execs QEMU in place, so the pid (and setpriv's death signal) stay QEMU's.
        if (launch.Network && launch.NetworkNamespace is not null)
            command.AddRange([HostTools.FindOnPath("ip") ?? "ip", "netns", "exec", launch.NetworkNamespace]);
        command.Add(qemu.Binary);
        var psi = new ProcessStartInfo(command[0])
        {
            RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        foreach (var arg in command.Skip(1)) psi.ArgumentList.Add(arg);
        foreach (var arg in Arguments(launch)) psi.ArgumentList.Add(arg);
        var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {qemu.Binary}");
        return new QemuMachine(p);
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public bool WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout);

    /// <summary>What QEMU printed (errors, the plugin's closing line).</summary>
    public string Diagnostics()
    {
        lock (_stderr) return string.Join('\n', _stderr);
    }

    public void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
