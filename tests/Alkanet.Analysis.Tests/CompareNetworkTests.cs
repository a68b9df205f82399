using System.IO.Compression;
using System.Text.Json.Nodes;
using Alkanet.Analysis.Compare;
using Alkanet.Analysis.Output;

namespace Alkanet.Analysis.Tests;

/// <summary><c>alkanet compare</c> on the network IOCs (contacted_domains, contacted_ips, contacted_urls) and on dropped
/// files by SHA-256 (files_dropped_sha256), against real CAPE reports (the validation corpus and the reference
/// reports) and VirusTotal's shapes.</summary>
public class CompareNetworkTests
{
    private static JsonObject CapeJson(string path)
    {
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        return JsonNode.Parse(gz)!.AsObject();
    }

    private static string CorpusCape(string prefix) => Directory.GetFiles(TestLogs.Corpus("cape"), prefix + "*.json.gz").Single();

    private static string Save(string json)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("alkanet-compare-").FullName, "x.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void Cape_dropped_hashes_and_network_are_read_as_categories()
    {
        var path = CorpusCape("0000a657");
        var root = CapeJson(path);
        var cape = BehaviourSummary.Load(path);
        var hashes = root["dropped"]!.AsArray().Select(d => d!["sha256"]!.GetValue<string>()).Distinct().ToList();
        hashes.Count.ShouldBeGreaterThan(1);
        cape.Categories[NetworkCategories.DroppedSha256].ShouldBe(hashes, ignoreOrder: true);
        cape.Categories[NetworkCategories.DroppedSha256].ShouldContain("d09003bbd5c99cbb49d2bc93ceed85c69ebbd9402abd1864e7959261dd1126a3");
        cape.Categories[NetworkCategories.Domains].ShouldContain("www.ip-adress.com");
        cape.Categories[NetworkCategories.Ips].ShouldBe(root["network"]!["hosts"]!.AsArray()
            .Select(h => h is JsonValue v ? v.GetValue<string>() : h!["ip"]!.GetValue<string>()).Distinct().ToList(), ignoreOrder: true);
        var reference = BehaviourSummary.Load(TestLogs.Cape("d469"));
        reference.Categories[NetworkCategories.Domains].ShouldBe(
            ["cdn.onenote.net", "img-prod-cms-rt-microsoft-com.akamaized.net", "evoke-windowsservices-tas.msedge.net", "www.msftconnecttest.com"],
            ignoreOrder: true);
        reference.Categories[NetworkCategories.Ips].ShouldContain("20.190.159.138");
    }

    [Fact]
    public void Dropped_files_match_by_hash_whatever_their_path_and_network_iocs_per_category()
    {
        var path = CorpusCape("0000a657");
        var root = CapeJson(path);
        var dropped = root["dropped"]!.AsArray().Select(d => d!["sha256"]!.GetValue<string>()).Distinct().ToList();
        // A report that found two of CAPE's dropped files (under other names, one hash in capitals), the domain, one of the
        // hosts, plus one file and one address CAPE does not list.
        var host = root["network"]!["hosts"]!.AsArray()[0]!;
        var hostIp = host is JsonValue hv ? hv.GetValue<string>() : host["ip"]!.GetValue<string>();
        var report = new Report
        {
            DroppedFiles =
            [
                new ReportDroppedFile { Path = "/tmp/a", Sha256 = dropped[0] },
                new ReportDroppedFile { Path = "/tmp/b", Sha256 = dropped[1].ToUpperInvariant() },
                new ReportDroppedFile { Path = "/tmp/c", Sha256 = new string('e', 64) },
                new ReportDroppedFile { Path = "/tmp/partial", Sha256 = dropped[2], Partial = true },
            ],
            Network = new ReportNetwork
            {
                Iocs = new ReportNetworkIocs { Domains = ["WWW.IP-ADRESS.COM."], Ips = [hostIp, "203.0.113.9"], Urls = [] },
            },
        };
        var mine = Path.Combine(Path.GetDirectoryName(Save(""))!, "mine.json");
        File.WriteAllText(mine, ReportWriters.ToJson(report));
        var c = Comparison.Of(BehaviourSummary.Load(mine), BehaviourSummary.Load(path));
        var byHash = c.Categories.Single(x => x.Category == NetworkCategories.DroppedSha256);
        byHash.Matched.Count.ShouldBe(2);
        byHash.Extra.ShouldBe([new string('e', 64)]);
        byHash.Missed.Count.ShouldBe(dropped.Count - 2); // a partial file's hash is not the file's: never counted
        byHash.Precision.ShouldBe(2.0 / 3);
        var domains = c.Categories.Single(x => x.Category == NetworkCategories.Domains);
        (domains.Matched.Count, domains.Missed.Count, domains.Extra.Count).ShouldBe((1, 0, 0));
        var ips = c.Categories.Single(x => x.Category == NetworkCategories.Ips);
        ips.Matched.ShouldBe([hostIp]);
        ips.Extra.ShouldBe(["203.0.113.9"]);
        ips.Recall.ShouldBe(1.0 / root["network"]!["hosts"]!.AsArray().Count);
        c.ToText().ShouldContain(NetworkCategories.DroppedSha256);
    }

    [Fact]
    public void Virustotal_network_lists_and_dropped_hashes_are_read()
    {
        var vt = Save("""
            {"data": {"attributes": {
              "dns_lookups": [{"hostname": "c2.alkanet-sample.test", "resolved_ips": ["10.13.0.1"]}],
              "http_conversations": [{"url": "HTTP://C2.alkanet-sample.test:80/beacon.txt", "request_method": "GET"}],
              "ip_traffic": [{"destination_ip": "8.8.8.8", "destination_port": 80, "transport_layer_protocol": "TCP"}],
              "files_dropped": [{"path": "/tmp/x", "sha256": "ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789"}],
              "contacted_ips": [{"type": "ip_address", "id": "192.168.77.1"}]}}}
            """);
        var s = BehaviourSummary.Load(vt);
        s.Categories[NetworkCategories.Domains].ShouldBe(["c2.alkanet-sample.test"]);
        s.Categories[NetworkCategories.Ips].ShouldBe(["8.8.8.8", "192.168.77.1"], ignoreOrder: true);
        s.Categories["ip_traffic"].ShouldBe(["8.8.8.8:80"]);
        s.Categories["files_dropped"].ShouldBe(["/tmp/x"]);
        // Against the networked run: every VirusTotal item is found (URL scheme/host case and the default port do not matter).
        var c = Comparison.Of(BehaviourSummary.FromReport(ExportInputs.Netprobe()), s);
        foreach (var cat in new[] { NetworkCategories.Domains, NetworkCategories.Ips, NetworkCategories.Urls })
            c.Categories.Single(x => x.Category == cat).Recall.ShouldBe(1.0, cat);
        c.Categories.Single(x => x.Category == NetworkCategories.DroppedSha256).Recall.ShouldBe(0.0);
    }

    [Fact]
    public void The_vt_shape_carries_the_network_and_hash_categories_through_compare()
    {
        var r = ExportInputs.Netprobe();
        var loaded = BehaviourSummary.Load(Save(BehaviourSummary.FromReport(r).ToVirusTotalJson()));
        loaded.Categories[NetworkCategories.Urls].ShouldBe(["http://c2.alkanet-sample.test/beacon.txt"]);
        Comparison.Of(BehaviourSummary.FromReport(r), loaded).Categories.ShouldAllBe(x => x.Missed.Count == 0 && x.Extra.Count == 0);
    }
}
