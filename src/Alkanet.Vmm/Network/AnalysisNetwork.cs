using System.Diagnostics;
using System.Globalization;
using Alkanet.Vmm.Host;

namespace Alkanet.Vmm.Network;

/// <summary>
/// A networked run's isolated network: a network namespace made for this run only, holding a tap (QEMU's NIC backend,
/// <see cref="HostAddress"/>/24) and loopback, and nothing else: no veth, no route out, forwarding off (a new
/// namespace's default), so a frame the guest sends can reach only this namespace's own sockets. Debian's INetSim runs
/// inside it bound to <see cref="HostAddress"/>: its DNS answers every name with that address, so every name the
/// guest resolves leads to the fake services; a literal address elsewhere is dropped (no route) — the sink or nothing.
/// A DHCP server (dnsmasq, DHCP only) on the tap gives a guest that asks 10.13.0.x with router and DNS
/// <see cref="HostAddress"/>. <see cref="Dispose"/> stops INetSim and dnsmasq and deletes the namespace.
/// </summary>
public sealed class AnalysisNetwork : IDisposable
{
    public const string HostAddress = "10.13.0.1";
    public const string GuestAddress = "10.13.0.2";
    public const string Tap = "alk0";

    private static int _counter;
    private readonly Process _inetsim;
    private readonly List<string> _inetsimOutput = [];

    /// <summary>The namespace's name (QEMU runs in it: <c>ip netns exec</c>).</summary>
    public string Namespace { get; }

    /// <summary>INetSim's logs and report (service.log lists every fake answer).</summary>
    public string InetSimDirectory { get; }

    private AnalysisNetwork(string ns, string dir, Process inetsim)
    {
        Namespace = ns;
        InetSimDirectory = dir;
        _inetsim = inetsim;
    }

    /// <summary>The kernel command-line word the analysis guest's init reads to configure eth0 (guest/init).</summary>
    public static string GuestCommandLine => $"alkanet.net={GuestAddress},{HostAddress}";

    /// <summary>dnsmasq's path (Debian puts it in /usr/sbin, which a user's PATH may lack), or null when not installed.</summary>
    public static string? FindDnsmasq() =>
        HostTools.FindOnPath("dnsmasq") ?? (File.Exists("/usr/sbin/dnsmasq") ? "/usr/sbin/dnsmasq" : null);

    /// <summary>The same word telling guest/init to ask the run's DHCP server (busybox udhcpc) instead.</summary>
    public const string GuestDhcpCommandLine = "alkanet.net=dhcp";

    /// <summary>The addresses the DHCP server hands out (the guest's static address is the first).</summary>
    public const string DhcpFirst = GuestAddress, DhcpLast = "10.13.0.99";

    /// <summary>dnsmasq in DHCP-only mode (<c>--port=0</c>: INetSim answers DNS) on the tap: router and DNS are
    /// <see cref="HostAddress"/>; its log (<c>--log-dhcp</c>) and leases go beside INetSim's.</summary>
    private static string[] DhcpArguments(string dnsmasq, string dir) =>
    [
        dnsmasq, "--conf-file=/dev/null", "--port=0", "--interface=" + Tap, "--bind-interfaces",
        $"--dhcp-range={DhcpFirst},{DhcpLast},255.255.255.0,1h", "--dhcp-option=option:router," + HostAddress,
        "--dhcp-option=option:dns-server," + HostAddress, "--dhcp-leasefile=" + Path.Combine(dir, "dnsmasq.leases"),
        "--pid-file=" + Path.Combine(dir, "dnsmasq.pid"), "--log-dhcp", "--log-facility=" + Path.Combine(dir, "dnsmasq.log"),
        "--user=root", "--group=root",
    ];

    /// <summary>Makes the namespace and starts INetSim in it, its logs under <paramref name="inetsimDirectory"/>;
    /// returns once INetSim's services listen. Missing tools: <see cref="PrerequisiteMissingException"/>.</summary>
    public static AnalysisNetwork Start(string inetsimDirectory, Action<string>? log = null, TimeSpan? ready = null)
    {
        var ip = HostTools.FindOnPath("ip") ?? throw Missing("ip (iproute2)");
        var inetsim = HostTools.FindOnPath("inetsim") ?? throw Missing("inetsim");
        var dnsmasq = FindDnsmasq() ?? throw Missing("dnsmasq (dnsmasq-base)", "56-dhcp.sh");
        var ns = $"alkanet-{Environment.ProcessId}-{Interlocked.Increment(ref _counter)}";
        Directory.CreateDirectory(inetsimDirectory);
        Run(ip, "netns", "add", ns);
        Process? p = null;
        try
        {
            Run(ip, "-n", ns, "link", "set", "lo", "up");
            Run(ip, "-n", ns, "tuntap", "add", "dev", Tap, "mode", "tap");
            Run(ip, "-n", ns, "addr", "add", HostAddress + "/24", "dev", Tap);
            Run(ip, "-n", ns, "link", "set", Tap, "up");
            // the DHCP server: a child of the namespace like INetSim's services, killed with them by Stop
            // (dnsmasq daemonizes once it listens; a bad option is its exit code and message here)
            Run(ip, ["netns", "exec", ns, .. DhcpArguments(dnsmasq, inetsimDirectory)]);
            var config = Path.Combine(inetsimDirectory, "inetsim.conf");
            File.WriteAllText(config, InetSimConfig.Text(HostAddress));
            var data = InetSimData.Prepare(Path.Combine(inetsimDirectory, "data"));
            var psi = new ProcessStartInfo(ip) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            // --user=root: the services write their logs into the run's folder, which (like every temp folder here) only root
            // may enter; they stay confined to the namespace, which has no way out.
            foreach (var a in new[] { "netns", "exec", ns, inetsim, "--user=root", "--config=" + config, "--data-dir=" + data,
                         "--log-dir=" + inetsimDirectory,
                         "--report-dir=" + inetsimDirectory, "--pidfile=" + Path.Combine(inetsimDirectory, "inetsim.pid") })
                psi.ArgumentList.Add(a);
            p = Process.Start(psi) ?? throw new InvalidOperationException("could not start inetsim");
            var net = new AnalysisNetwork(ns, inetsimDirectory, p);
            DataReceivedEventHandler seen = (_, e) => { if (e.Data is not null) lock (net._inetsimOutput) net._inetsimOutput.Add(e.Data); };
            p.OutputDataReceived += seen;
            p.ErrorDataReceived += seen;
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            var limit = ready ?? TimeSpan.FromSeconds(120);
            var clock = Stopwatch.StartNew();
            // Ready when every service listens (read from the namespace's own socket tables: INetSim's stdout is
            // block-buffered, so its "Simulation running" line can come late).
            while (!InetSimConfig.Listening(p.Id))
            {
                if (p.HasExited || clock.Elapsed > limit)
                {
                    var why = p.HasExited ? $"exited ({p.ExitCode})" : $"did not start its services within {limit.TotalSeconds:0} s";
                    throw new InvalidOperationException($"INetSim {why}: {net.Output()}");
                }
                Thread.Sleep(200);
            }
            log?.Invoke($"network: namespace {ns}, INetSim on {HostAddress} (ready in {clock.Elapsed.TotalSeconds:0.0} s)");
            return net;
        }
        catch
        {
            Stop(p, ns);
            throw;
        }
    }

    /// <summary>What INetSim printed (the error when it did not start).</summary>
    public string Output()
    {
        lock (_inetsimOutput) return string.Join(" | ", _inetsimOutput.TakeLast(8));
    }

    public void Dispose() => Stop(_inetsim, Namespace);

    /// <summary>INetSim stops its service children on SIGTERM; any process left in the namespace (all started by this
    /// run: INetSim's children) is then killed by its id before the namespace goes.</summary>
    private static void Stop(Process? inetsim, string ns)
    {
        var ip = HostTools.FindOnPath("ip") ?? "ip";
        if (inetsim is not null && !inetsim.HasExited)
        {
            foreach (var pid in Pids(ip, ns)) Signal(pid, "TERM", main: true);
            inetsim.WaitForExit(TimeSpan.FromSeconds(15));
        }
        foreach (var pid in Pids(ip, ns)) Signal(pid, "KILL", main: false);
        inetsim?.WaitForExit(TimeSpan.FromSeconds(5));
        inetsim?.Dispose();
        TryRun(ip, "netns", "del", ns);
    }

    private static List<int> Pids(string ip, string ns)
    {
        var (code, output) = TryRun(ip, "netns", "pids", ns);
        if (code != 0) return [];
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0).Where(v => v > 0).ToList();
    }

    // Only INetSim's main process gets SIGTERM (it stops its children itself); the rest only the final SIGKILL.
    private static void Signal(int pid, string signal, bool main)
    {
        if (main && !IsInetSimMain(pid)) return;
        TryRun("kill", "-" + signal, pid.ToString(CultureInfo.InvariantCulture));
    }

    private static bool IsInetSimMain(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/comm").Trim() is "inetsim" or "inetsim_main"; }
        catch (IOException) { return false; }
    }

    private static PrerequisiteMissingException Missing(string what, string step = "55-network.sh") =>
        new($"{what} is not installed (alkanet run --network needs it); install it with: sudo bash scripts/setup.sh   " +
            $"(or just its step: sudo bash scripts/setup.d/{step})");

    private static void Run(string file, params string[] args)
    {
        var (code, output) = TryRun(file, args);
        if (code != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({code}): {output.Trim()}");
    }

    private static (int Code, string Output) TryRun(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr);
    }
}
