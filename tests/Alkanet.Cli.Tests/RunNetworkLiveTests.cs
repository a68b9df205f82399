using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;
using Alkanet.Vmm.Host;
using Alkanet.Vmm.Network;

namespace Alkanet.Cli.Tests;

/// <summary>A downloader end to end on the isolated network (issue 13): `alkanet run samples/stager --network` resolves
/// dl.alkanet-sample.test through INetSim's DNS, fetches /next/stage2.sh from its HTTP server (the project's fake stage,
/// data/inetsim/alkanet-stage.sh) and runs it; the run folder has the DNS name, the URL, the flow joined to the stager's
/// process, the frames in network.pcap, and the stage's bytes as a dropped file under their exact SHA-256.</summary>
public sealed class RunNetworkLiveTests
{
    [Fact]
    public void Stager_downloads_and_runs_the_next_stage_which_is_a_dropped_file_with_its_exact_sha256()
    {
        RunLive.Require();
        if (HostTools.FindOnPath("inetsim") is null || HostTools.FindOnPath("suricata") is null)
        {
            const string why = "inetsim or suricata is not installed (scripts/setup.d/55-network.sh)";
            if (Environment.GetEnvironmentVariable("CI") == "true") Assert.Fail(why);
            Assert.Skip(why);
        }
        var dir = Path.Combine(Path.GetTempPath(), $"alkanet-stager-{Guid.NewGuid():N}");
        try
        {
            var r = CliRunner.Run(["run", RunLive.Sample("stager"), "--network", "--out", dir, "--timeout", "180s"]);
            var console = File.ReadAllText(Path.Combine(dir, "console.log"));
            r.ExitCode.ShouldBe(0, r.Err + "\n" + console);
            console.ShouldContain("stager: downloaded");
            console.ShouldContain("alkanet-stage2: ran as /tmp/stage2.sh", customMessage: "the downloaded stage ran");

            var stage = InetSimData.Stage();
            var sha = Convert.ToHexStringLower(SHA256.HashData(stage));
            var artifacts = RunLive.ReadJson(Path.Combine(dir, "artifacts.json"));
            var f = artifacts.GetProperty("files").EnumerateArray().Single(e => e.GetProperty("path").GetString() == "/tmp/stage2.sh");
            f.GetProperty("sha256").GetString().ShouldBe(sha);
            f.GetProperty("partial").GetBoolean().ShouldBeFalse();
            f.GetProperty("writer").GetProperty("name").GetString().ShouldBe("stager");
            File.ReadAllBytes(Path.Combine(dir, "files", sha)).ShouldBe(stage);

            var net = RunLive.ReadJson(Path.Combine(dir, "network.json"));
            net.GetProperty("dns").EnumerateArray().ShouldContain(d => d.GetProperty("name").GetString() == "dl.alkanet-sample.test"
                && d.GetProperty("answers").EnumerateArray().Any(a => a.GetString() == AnalysisNetwork.HostAddress));
            net.GetProperty("iocs").GetProperty("urls").EnumerateArray().Select(u => u.GetString())
                .ShouldContain("http://dl.alkanet-sample.test/next/stage2.sh");
            var http = net.GetProperty("http").EnumerateArray().Single(h => h.GetProperty("url").GetString() == "/next/stage2.sh");
            http.GetProperty("status").GetInt32().ShouldBe(200);
            http.GetProperty("user_agent").GetString().ShouldBe("alkanet-stager/1.0");
            var flow = net.GetProperty("flows").EnumerateArray().Single(x => x.GetProperty("dst_port").GetInt32() == 80
                && x.GetProperty("app").GetString() == "http");
            flow.GetProperty("src").GetString().ShouldBe(AnalysisNetwork.GuestAddress);
            flow.GetProperty("processes").EnumerateArray().Select(p => p.GetString()!).ShouldHaveSingleItem().ShouldStartWith("stager (pid ");
            // joined by 5-tuple: the connect's EXIT read the socket's local port from the guest kernel (docs/NETWORK.md)
            flow.GetProperty("match").GetString().ShouldBe("5-tuple");
            var srcPort = flow.GetProperty("src_port").GetInt32();
            var report = RunLive.ReadJson(Path.Combine(dir, "report.json"));
            var stager = report.GetProperty("processes").EnumerateArray().First(p => p.GetProperty("name").GetString() == "stager")
                .GetProperty("seq").GetInt32();
            var joined = report.GetProperty("network").GetProperty("flows").EnumerateArray()
                .Single(x => x.GetProperty("src_port").GetInt32() == srcPort && x.GetProperty("dst_port").GetInt32() == 80);
            joined.GetProperty("match").GetString().ShouldBe("5-tuple");
            joined.GetProperty("process_seqs").EnumerateArray().Select(x => x.GetInt32()).ShouldBe([stager]);
            File.ReadLines(Path.Combine(dir, "trace.jsonl")).ShouldContain(l => l.Contains("\"connect\"", StringComparison.Ordinal)
                && l.Contains($"\"local_port\":\"{srcPort}\"", StringComparison.Ordinal), "the connect's EXIT names the flow's source port");

            var frames = Tcp80Frames(Path.Combine(dir, "network.pcap")).ToList();
            frames.ShouldContain(x => x.Src == AnalysisNetwork.GuestAddress && x.Dst == AnalysisNetwork.HostAddress, "the request's frames");
            frames.ShouldContain(x => x.Src == AnalysisNetwork.HostAddress && x.Dst == AnalysisNetwork.GuestAddress, "the reply's frames");

            // its path, or its argv when the path was read from the new image (the script's interpreter)
            File.ReadLines(Path.Combine(dir, "trace.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.Clone())
                .Any(e => e.GetProperty("name").GetString() == "execve"
                    && e.GetProperty("additional_info").GetRawText().Contains("/tmp/stage2.sh", StringComparison.Ordinal))
                .ShouldBeTrue("the stager's child execs the stage");
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    /// <summary>IPv4 TCP frames to or from port 80 of an Ethernet pcap (little-endian, as QEMU writes it).</summary>
    private static IEnumerable<(string Src, string Dst)> Tcp80Frames(string path)
    {
        var b = File.ReadAllBytes(path);
        for (var at = 24; at + 16 <= b.Length;)
        {
            var len = (int)BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at + 8));
            var f = b.AsSpan(at + 16, Math.Min(len, b.Length - at - 16));
            at += 16 + len;
            if (f.Length < 38 || f[12] != 0x08 || f[13] != 0x00 || f[23] != 6) continue;
            var ihl = (f[14] & 0x0f) * 4;
            if (f.Length < 14 + ihl + 4) continue;
            var ports = f[(14 + ihl)..];
            if (BinaryPrimitives.ReadUInt16BigEndian(ports) != 80 && BinaryPrimitives.ReadUInt16BigEndian(ports[2..]) != 80) continue;
            yield return (new System.Net.IPAddress(f[26..30]).ToString(), new System.Net.IPAddress(f[30..34]).ToString());
        }
    }
}
