using System.Buffers.Binary;
using System.Diagnostics;
using Alkanet.Vmm.Host;
using Alkanet.Vmm.Live;
using Alkanet.Vmm.Network;

namespace Alkanet.Vmm.Tests.Live;

/// <summary>The isolated analysis network (<see cref="AnalysisNetwork"/>): the namespace has no way out, and a sample
/// that resolves a name, fetches a URL and then tries a public and a private address directly gets the fake services
/// for the first two and nothing for the others; the capture holds the frames.</summary>
public sealed class LiveNetworkTests
{
    private static void RequireInetSim()
    {
        if (HostTools.FindOnPath("inetsim") is not null && AnalysisNetwork.FindDnsmasq() is not null) return;
        const string why = "inetsim or dnsmasq is not installed (scripts/setup.d/55-network.sh, 56-dhcp.sh)";
        if (Environment.GetEnvironmentVariable("CI") == "true") Assert.Fail(why);
        Assert.Skip(why);
    }

    [Fact]
    public void The_namespace_has_only_loopback_and_the_tap_no_route_out_and_is_removed()
    {
        RequireInetSim();
        var dir = LiveGuest.NewOutputDirectory("netns");
        string ns;
        using (var net = AnalysisNetwork.Start(Path.Combine(dir, "inetsim")))
        {
            ns = net.Namespace;
            var links = Ip("-n", ns, "-o", "link", "show").Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l.Split(':')[1].Trim().Split('@')[0]).Order().ToList();
            links.ShouldBe(["alk0", "lo"]);
            Ip("-n", ns, "route", "show").Trim().ShouldStartWith("10.13.0.0/24 dev alk0");
            Ip("-n", ns, "route", "show").Trim().Split('\n').Length.ShouldBe(1, "no default route: nothing leaves the namespace");
            Ip("netns", "exec", ns, "cat", "/proc/sys/net/ipv4/ip_forward").Trim().ShouldBe("0");
            Ip("netns", "pids", ns).Trim().ShouldNotBeEmpty("INetSim runs inside the namespace: " + net.Output());
            InetSimConfig.Listening(int.Parse(Ip("netns", "pids", ns).Split('\n')[0])).ShouldBeTrue();
        }
        Ip("netns", "list").ShouldNotContain(ns);
    }

    [Fact]
    public void Netprobe_gets_the_fake_dns_and_http_and_nothing_from_direct_addresses()
    {
        LiveGuest.Require();
        RequireInetSim();
        var r = LiveGuest.Run("netprobe", o => o with { Network = true }, timeout: TimeSpan.FromMinutes(3));
        var dir = Path.GetDirectoryName(r.TracePath)!;
        var console = File.ReadAllText(Path.Combine(dir, "console.log"));
        r.Outcome.ShouldBe(RunOutcome.PoweredOff, r.Detail + "\n" + console);
        console.ShouldContain("netprobe: c2.alkanet-sample.test is 10.13.0.1");
        console.ShouldContain("netprobe: direct 8.8.8.8:80 unreachable");
        console.ShouldContain("netprobe: direct 192.168.77.1:80 unreachable");
        r.SampleExitStatus.ShouldBe(0, "0: the sink answered DNS and HTTP 200, neither direct address connected");

        var service = File.ReadAllText(Path.Combine(dir, "inetsim", "service.log"));
        service.ShouldContain("c2.alkanet-sample.test");
        service.ShouldContain("GET /beacon.txt");

        var t = Trace.Load(r.TracePath);
        t.Find("run", "sendto", ("remote_address", "10.13.0.1:53"));
        t.Find("run", "connect", ("remote_address", "10.13.0.1:80"));
        t.Find("run", "connect", ("remote_address", "8.8.8.8:80"));

        r.Capture.ShouldNotBeNull();
        r.Capture!.CapHit.ShouldBeFalse();
        var packets = Ipv4Packets(Path.Combine(dir, "network.pcap")).ToList();
        packets.ShouldContain(p => p.Src == "10.13.0.2" && p.Dst == "10.13.0.1" && p.Proto == 17, "the DNS query");
        packets.ShouldContain(p => p.Src == "10.13.0.1" && p.Dst == "10.13.0.2" && p.Proto == 6, "the fake HTTP server's reply");
        packets.ShouldContain(p => p.Dst == "8.8.8.8", "the guest did try the public address");
        packets.ShouldNotContain(p => p.Src == "8.8.8.8" || p.Src == "192.168.77.1", "nothing answered for them");
        File.ReadAllText(Path.Combine(dir, "run.json")).ShouldContain("\"capture_cap_hit\": false");

        // Suricata's reading of the capture (DIR/network.json from DIR/suricata/eve.json).
        r.ParseError.ShouldBeNull();
        var eve = r.Eve!;
        eve.DnsQueries.ShouldContain(d => d.Name == "c2.alkanet-sample.test" && d.Answers.Contains("10.13.0.1"));
        eve.HttpRequests.ShouldContain(h => h.Method == "GET" && h.Host == "c2.alkanet-sample.test" && h.Url == "/beacon.txt"
            && h.UserAgent == "alkanet-netprobe/1.0" && h.Status == 200 && h.Server == "10.13.0.1:80");
        var web = eve.Flows.First(f => f.Src == "10.13.0.2" && f.Dst == "10.13.0.1" && f.DstPort == 80 && f.App == "http");
        web.Processes.ShouldHaveSingleItem().ShouldStartWith("run (pid ", customMessage: "joined to the sample's connect record");
        eve.Flows.First(f => f.DstPort == 53 && f.Proto == "UDP").Processes.ShouldContain(p => p.StartsWith("run (pid ", StringComparison.Ordinal));
        eve.Flows.ShouldContain(f => f.Dst == "8.8.8.8" && f.DstPort == 80, "the unanswered attempt is a flow too");
        eve.Alerts.Select(a => a.Sid).ShouldContain(9100001, "the shipped rule for the sample's C2 name");
        eve.Alerts.Select(a => a.Sid).ShouldContain(9100002, "the shipped rule for the sample's user agent");
        var json = File.ReadAllText(Path.Combine(dir, "network.json"));
        json.ShouldContain("http://c2.alkanet-sample.test/beacon.txt");
    }

    [Fact]
    public void A_small_capture_limit_cuts_the_pcap_and_the_run_goes_on()
    {
        LiveGuest.Require();
        RequireInetSim();
        var r = LiveGuest.Run("netprobe", o => o with { Network = true, CaptureLimitBytes = 600 }, timeout: TimeSpan.FromMinutes(3));
        r.Outcome.ShouldBe(RunOutcome.PoweredOff, r.Detail);
        r.SampleExitStatus.ShouldBe(0);
        r.Capture!.CapHit.ShouldBeTrue();
        new FileInfo(Path.Combine(Path.GetDirectoryName(r.TracePath)!, "network.pcap")).Length.ShouldBeLessThanOrEqualTo(600);
        File.ReadAllText(Path.Combine(Path.GetDirectoryName(r.TracePath)!, "run.json")).ShouldContain("\"capture_cap_hit\": true");
        File.ReadAllText(Path.Combine(Path.GetDirectoryName(r.TracePath)!, "run.json")).ShouldContain("capture truncated at 600 bytes");
        File.ReadAllText(Path.Combine(Path.GetDirectoryName(r.TracePath)!, "network.json")).ShouldContain("\"truncated\": true");
    }

    [Fact]
    public void A_guest_that_asks_gets_its_address_router_and_dns_from_the_runs_dhcp_server()
    {
        LiveGuest.Require();
        RequireInetSim();
        var r = LiveGuest.Run("netprobe", o => o with { Network = true, GuestDhcp = true, ParseCapture = false },
            timeout: TimeSpan.FromMinutes(3));
        var dir = Path.GetDirectoryName(r.TracePath)!;
        var console = File.ReadAllText(Path.Combine(dir, "console.log"));
        r.Outcome.ShouldBe(RunOutcome.PoweredOff, r.Detail + "\n" + console);
        console.ShouldMatch(@"ALKANET-NET addr=10\.13\.0\.\d+ gw=10\.13\.0\.1 dns=10\.13\.0\.1 dhcp");
        File.ReadAllText(Path.Combine(dir, "inetsim", "dnsmasq.log")).ShouldContain("DHCPACK(alk0)");
        r.SampleExitStatus.ShouldBe(0, "netprobe resolved its name and fetched its page over the leased address: " + console);
    }

    private static string Ip(params string[] args)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output;
    }

    private sealed record Ipv4(string Src, string Dst, int Proto);

    /// <summary>The IPv4 packets of an Ethernet pcap (little-endian, as QEMU writes it).</summary>
    private static IEnumerable<Ipv4> Ipv4Packets(string path)
    {
        var b = File.ReadAllBytes(path);
        for (var at = 24; at + 16 <= b.Length;)
        {
            var len = (int)BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at + 8));
            var f = b.AsSpan(at + 16, len);
            at += 16 + len;
            if (f.Length < 34 || f[12] != 0x08 || f[13] != 0x00) continue;
            yield return new Ipv4(new System.Net.IPAddress(f[26..30]).ToString(), new System.Net.IPAddress(f[30..34]).ToString(), f[23]);
        }
    }
}
