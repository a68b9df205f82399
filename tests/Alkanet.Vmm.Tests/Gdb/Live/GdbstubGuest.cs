using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Alkanet.Vmm.Tests.Gdb.Live;

/// <summary>
/// A real QEMU (TCG, 2 vCPUs) booting Debian's kernel with a busybox initramfs whose init prints a few kernel
/// symbols from /proc/kallsyms (booted with nokaslr unless asked for KASLR: -kernel with the bzImage runs the
/// decompressor, which randomises) to the serial console and then runs a system-call loop.
/// QEMU is killed in Dispose, always; <see cref="Survivors"/> lets a test check none is left.
/// </summary>
internal sealed class GdbstubGuest : IDisposable
{
    private static readonly string[] Symbols = ["x64_sys_call", "syscall_exit_to_user_mode_prepare", "current_task", "__x64_sys_getppid"];

    private readonly Process _qemu;
    private readonly StringBuilder _console = new();
    private readonly string _workDir;

    private GdbstubGuest(Process qemu, string marker, int gdbPort, string qmpPath, string workDir)
    {
        _qemu = qemu;
        Marker = marker;
        GdbPort = gdbPort;
        QmpPath = qmpPath;
        _workDir = workDir;
    }

    public string Marker { get; }

    public int GdbPort { get; }

    public string QmpPath { get; }

    public Dictionary<string, ulong> Kallsyms { get; } = new(StringComparer.Ordinal);

    public string Console { get { lock (_console) return _console.ToString(); } }

    public bool HasExited => _disposed || _qemu.HasExited;

    /// <summary>What is missing to run live tests, or null. Under CI=true a missing prerequisite is a failure.</summary>
    public static string? MissingPrerequisite()
    {
        if (FindOnPath("qemu-system-x86_64") is null) return "qemu-system-x86_64 is not installed (run: sudo bash scripts/setup.sh)";
        if (!File.Exists("/bin/busybox") && FindOnPath("busybox") is null) return "busybox-static is not installed (run: sudo bash scripts/setup.sh)";
        if (FindOnPath("cpio") is null) return "cpio is not installed (run: sudo bash scripts/setup.sh)";
        if (KernelPath() is null) return "no cached guest kernel (run: sudo bash scripts/setup.sh, which fetches it into $ALKANET_CACHE/linux-guest)";
        return null;
    }

    public static void SkipUnlessAvailable()
    {
        var missing = MissingPrerequisite();
        if (missing is null) return;
        if (Environment.GetEnvironmentVariable("CI") == "true") Assert.Fail(missing);
        Assert.Skip(missing);
    }

    public static string? KernelPath()
    {
        var cache = Environment.GetEnvironmentVariable("ALKANET_CACHE");
        if (string.IsNullOrEmpty(cache)) cache = Path.Combine(RepoRoot(), ".cache");
        var path = Path.Combine(cache, "linux-guest", "vmlinuz");
        return File.Exists(path) ? path : null;
    }

    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Alkanet.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Boots the guest and waits until its init has printed the symbols (the workload then runs).</summary>
    public static GdbstubGuest Start(string workload = "cat /dev/zero > /dev/null", TimeSpan? bootTimeout = null, bool kaslr = false)
    {
        var marker = "alkanet-gdbtest-" + Guid.NewGuid().ToString("N")[..12];
        var work = Directory.CreateTempSubdirectory("alkanet-gdb-").FullName;
        var initrd = BuildInitramfs(work, workload);
        var port = FreePort();
        var qmp = Path.Combine(work, "qmp.sock");
        var psi = new ProcessStartInfo("qemu-system-x86_64")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in new[]
        {
            "-name", marker, "-machine", "q35", "-accel", "tcg", "-smp", "2", "-m", "256",
            "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot", "-nic", "none",
            "-kernel", KernelPath()!, "-initrd", initrd,
            "-append", kaslr ? "console=ttyS0 quiet panic=-1 no_timer_check" : "console=ttyS0 nokaslr quiet panic=-1 no_timer_check",
            "-gdb", $"tcp:127.0.0.1:{port}", "-qmp", $"unix:{qmp},server=on,wait=off",
        }) psi.ArgumentList.Add(a);
        var qemu = Process.Start(psi) ?? throw new InvalidOperationException("qemu-system-x86_64 did not start");
        var guest = new GdbstubGuest(qemu, marker, port, qmp, work);
        qemu.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (guest._console) guest._console.AppendLine(e.Data); };
        qemu.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (guest._console) guest._console.AppendLine("qemu: " + e.Data); };
        qemu.BeginOutputReadLine();
        qemu.BeginErrorReadLine();
        try
        {
            guest.WaitForSymbols(bootTimeout ?? TimeSpan.FromSeconds(90));
            return guest;
        }
        catch
        {
            guest.Dispose();
            throw;
        }
    }

    private void WaitForSymbols(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            var text = Console;
            var end = text.IndexOf("ALKANET-SYMS-END", StringComparison.Ordinal);
            if (end >= 0)
            {
                var begin = text.IndexOf("ALKANET-SYMS-BEGIN", StringComparison.Ordinal);
                foreach (var line in text[begin..end].Split('\n'))
                {
                    var parts = line.Trim().Split(' ');
                    if (parts.Length == 3 && ulong.TryParse(parts[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var a))
                        Kallsyms[parts[2]] = a;
                }
                return;
            }
            if (_qemu.HasExited) throw new InvalidOperationException("QEMU exited during boot:\n" + text);
            Thread.Sleep(50);
        }
        throw new TimeoutException($"the guest printed no symbols within {timeout.TotalSeconds} s:\n{Console}");
    }

    private static string BuildInitramfs(string work, string workload)
    {
        var root = Path.Combine(work, "root");
        Directory.CreateDirectory(Path.Combine(root, "bin"));
        foreach (var d in new[] { "proc", "dev", "sys", "tmp" }) Directory.CreateDirectory(Path.Combine(root, d));
        File.Copy(File.Exists("/bin/busybox") ? "/bin/busybox" : FindOnPath("busybox")!, Path.Combine(root, "bin", "busybox"));
        var init = Path.Combine(root, "init");
        var pattern = string.Join('|', Symbols);
        File.WriteAllText(init,
            "#!/bin/busybox sh\n" +
            "/bin/busybox --install -s /bin\n" +
            "mount -t proc proc /proc\nmount -t devtmpfs dev /dev\n" +
            "echo ALKANET-SYMS-BEGIN\n" +
            $"grep -E ' ({pattern})$' /proc/kallsyms\n" +
            "echo ALKANET-SYMS-END\n" +
            $"{workload}\n" +
            "poweroff -f\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(init, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var output = Path.Combine(work, "initrd.cpio");
        var psi = new ProcessStartInfo("/bin/sh") { WorkingDirectory = root, UseShellExecute = false, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"find . | cpio -o -H newc --quiet > '{output}'");
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        if (!p.WaitForExit(60_000) || p.ExitCode != 0) throw new InvalidOperationException("cpio failed: " + err);
        return output;
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    /// <summary>QEMU processes whose command line carries <paramref name="marker"/> (none should outlive Dispose).</summary>
    public static IReadOnlyList<int> Survivors(string marker)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).Contains(marker, StringComparison.Ordinal)) found.Add(pid);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return found;
    }

    private bool _disposed;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            if (!_qemu.HasExited)
            {
                _qemu.Kill(entireProcessTree: true);
                _qemu.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException) { }
        _qemu.Dispose();
        try { Directory.Delete(_workDir, recursive: true); } catch (IOException) { }
    }
}
