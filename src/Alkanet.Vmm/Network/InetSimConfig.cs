using System.Globalization;

namespace Alkanet.Vmm.Network;

/// <summary>The per-run INetSim configuration (given with --config, so the host's /etc/inetsim is never used or
/// changed): the services a sample most often uses, all bound to the namespace's host address; DNS answers every
/// name with that address. Option names from INetSim 1.3's documented inetsim.conf.</summary>
public static class InetSimConfig
{
    /// <summary>TCP ports of the started services (dns, http, https, smtp, ftp, echo, dummy) and UDP ones (dns, ntp).</summary>
    public static readonly int[] TcpPorts = [53, 80, 443, 25, 21, 7, 1];
    public static readonly int[] UdpPorts = [53, 123];

    /// <summary>Every service listens, read from /proc/PID/net/{tcp,udp} of a process in the namespace (the kernel's
    /// socket tables of that process's network namespace: local address hex "ADDR:PORT", state 0A = LISTEN).</summary>
    public static bool Listening(int pid)
    {
        try
        {
            var tcp = Ports(File.ReadAllLines($"/proc/{pid}/net/tcp"), listenOnly: true);
            var udp = Ports(File.ReadAllLines($"/proc/{pid}/net/udp"), listenOnly: false);
            return TcpPorts.All(tcp.Contains) && UdpPorts.All(udp.Contains);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static HashSet<int> Ports(string[] lines, bool listenOnly)
    {
        var ports = new HashSet<int>();
        foreach (var line in lines.Skip(1))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 4 || (listenOnly && f[3] != "0A")) continue;
            var colon = f[1].LastIndexOf(':');
            if (colon > 0 && int.TryParse(f[1].AsSpan(colon + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var port))
                ports.Add(port);
        }
        return ports;
    }

    public static string Text(string address) => string.Join('\n',
    [
        "start_service dns", "start_service http", "start_service https", "start_service smtp", "start_service ftp",
        "start_service ntp", "start_service echo_tcp", "start_service dummy_tcp",
        "service_bind_address " + address,
        "dns_default_ip " + address,
        "dns_default_hostname www",
        "dns_default_domainname alkanet-sink.test",
        // Fake mode answers every URL with a file of its extension's type from INetSim's data folder (Debian's
        // /var/lib/inetsim); the file names are the ones Debian's inetsim.conf uses.
        "http_fakemode yes", "https_fakemode yes",
        "http_fakefile txt sample.txt text/plain", "http_fakefile htm sample.html text/html", "http_fakefile html sample.html text/html",
        "http_fakefile exe sample_gui.exe x-msdos-program", "http_fakefile png sample.png image/png",
        // the project's own fake file (InetSimData): a harmless "next stage" script for downloader samples
        $"http_fakefile sh {InetSimData.StageFile} text/x-sh",
        "http_default_fakefile sample.html text/html",
        "https_fakefile txt sample.txt text/plain", "https_fakefile html sample.html text/html",
        "https_default_fakefile sample.html text/html",
        "",
    ]);
}
