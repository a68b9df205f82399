using System.IO.Compression;
using System.Text.Json;
using Alkanet.Analysis.Compare;
using Alkanet.Analysis.Output;
using Alkanet.Analysis.Pipeline;

namespace Alkanet.Analysis.Tests;

/// <summary>The report's Network section from a real networked run (Fixtures/netprobe-run: <c>alkanet run samples/netprobe
/// --network</c>, whose network.json Suricata 7 made from the run's pcap): DNS, HTTP, flows joined to the records of the
/// process that opened them, Suricata alerts as findings, IOCs; and a damaged network.json.</summary>
public class NetworkReportTests
{
    private static readonly Report Run = ExportInputs.Netprobe();

    [Fact]
    public void Dns_and_http_come_from_the_runs_network_json()
    {
        var n = Run.Network.ShouldNotBeNull();
        n.Error.ShouldBeNull();
        var dns = n.Dns.ShouldHaveSingleItem();
        (dns.Name, dns.Type).ShouldBe(("c2.alkanet-sample.test", "A"));
        dns.Answers.ShouldBe(["10.13.0.1"]);
        var http = n.Http.ShouldHaveSingleItem();
        (http.Method, http.Host, http.Uri, http.UserAgent, http.Status).ShouldBe(("GET", "c2.alkanet-sample.test", "/beacon.txt",
            "alkanet-netprobe/1.0", (int?)200));
        http.Url.ShouldBe("http://c2.alkanet-sample.test/beacon.txt");
    }

    [Fact]
    public void Each_flow_names_the_sample_process_and_the_connect_records_that_opened_it()
    {
        var netprobe = Run.Processes.Single(p => p.Role == "sample");
        netprobe.Name.ShouldBe("netprobe");
        var records = TraceRecords();
        foreach (var (dst, port, call) in new[] { ("10.13.0.1", 80, "connect"), ("10.13.0.1", 53, "sendto"), ("8.8.8.8", 80, "connect") })
        {
            var flow = Run.Network!.Flows.Single(f => f.Dst == dst && f.DstPort == port);
            flow.ProcessSeqs.ShouldBe([netprobe.Seq]);
            flow.Records.ShouldNotBeEmpty();
            var enter = flow.Records.Select(no => records[no]).First(r => r.GetProperty("logtype").GetString() == "ENTER");
            enter.GetProperty("name").GetString().ShouldBe(call);
            enter.GetProperty("proc_name").GetString().ShouldBe("netprobe");
            enter.GetProperty("additional_info").GetProperty("remote_address").GetString().ShouldBe($"{dst}:{port}");
        }
        // The guest kernel's own IPv6 neighbour discovery: no process opened it.
        Run.Network!.Flows.Where(f => f.Proto == "IPv6-ICMP").ShouldAllBe(f => f.ProcessSeqs.Count == 0);
    }

    [Fact]
    public void Suricata_alerts_are_findings_with_their_signature_ids()
    {
        var dns = Run.Findings.Single(f => f.Rule == "suricata:9100001");
        dns.Title.ShouldContain("alkanet-sample.test");
        dns.Severity.ShouldBe("high");
        dns.Evidence.ShouldHaveSingleItem().Object.ShouldBe("10.13.0.2 -> 10.13.0.1");
        dns.Records.ShouldNotBeEmpty();
        Run.Findings.Single(f => f.Rule == "suricata:9100002").Title.ShouldContain("netprobe user agent");
        Run.Findings.Select(f => ReportBuilder.SeverityRank(f.Severity)).ShouldBeInOrder(SortDirection.Descending);
    }

    [Fact]
    public void Iocs_are_the_name_the_url_and_the_addresses_reached_directly_not_the_sink_or_link_traffic()
    {
        var iocs = Run.Network!.Iocs;
        iocs.Domains.ShouldBe(["c2.alkanet-sample.test"]);
        iocs.Urls.ShouldBe(["http://c2.alkanet-sample.test/beacon.txt"]);
        iocs.Ips.Order().ShouldBe(["192.168.77.1", "8.8.8.8"]);
    }

    [Fact]
    public void Json_markdown_and_html_carry_the_section()
    {
        var json = ReportWriters.ToJson(Run);
        using (var doc = JsonDocument.Parse(json))
        {
            var net = doc.RootElement.GetProperty("network");
            net.GetProperty("iocs").GetProperty("domains")[0].GetString().ShouldBe("c2.alkanet-sample.test");
            net.GetProperty("http")[0].GetProperty("user_agent").GetString().ShouldBe("alkanet-netprobe/1.0");
            net.GetProperty("http")[0].GetProperty("url").GetString().ShouldBe("http://c2.alkanet-sample.test/beacon.txt");
        }
        ReportWriters.FromJson(json).Network!.Iocs.Ips.Count.ShouldBe(2);
        var md = ReportWriters.ToMarkdown(Run);
        md.ShouldContain("## Network");
        md.ShouldContain("| GET | c2.alkanet-sample.test | /beacon.txt | alkanet-netprobe/1.0 | 200 | 10.13.0.1:80 |");
        md.ShouldContain("| 9100001 |");
        var html = HtmlReportWriter.Write(Run);
        html.ShouldContain("<h2>Network</h2>");
        html.ShouldContain("<td>alkanet-netprobe/1.0</td>");
    }

    [Fact]
    public void Tls_handshakes_with_fingerprints_and_older_files_server_names_are_read()
    {
        var dir = ExportInputs.CopyOfNetprobe();
        File.WriteAllText(Path.Combine(dir, NetworkFile.Name), """
            {"tls_sni": ["secure.example.test", "old.example.test"],
             "tls": [{"sni": "secure.example.test", "version": "TLS 1.3", "ja3": "e7d705a3286e19ea42f587b344ee6865", "ja3s": null,
                      "ja4": "t13d1516h2_8daaf6152771_e5627efa2ab1"}]}
            """);
        var r = ReportPipeline.Run(ReportSource.FromFiles([Path.Combine(dir, "trace.jsonl.gz")]));
        r.Network!.Tls.Select(t => (t.Sni, t.Ja3, t.Ja4)).ShouldBe([
            ("secure.example.test", "e7d705a3286e19ea42f587b344ee6865", "t13d1516h2_8daaf6152771_e5627efa2ab1"), ("old.example.test", null, null)]);
        r.Network.Iocs.Domains.ShouldBe(["secure.example.test", "old.example.test"]);
        ReportWriters.ToMarkdown(r)
            .ShouldContain("| secure.example.test | TLS 1.3 | e7d705a3286e19ea42f587b344ee6865 |  | t13d1516h2_8daaf6152771_e5627efa2ab1 |");
    }

    [Fact]
    public void A_capture_cut_at_its_limit_is_said_in_the_section_and_a_wrong_type_names_its_path()
    {
        var dir = ExportInputs.CopyOfNetprobe();
        var net = Path.Combine(dir, NetworkFile.Name);
        File.WriteAllText(net, """
            {"flows": [], "capture": {"frames": 690, "bytes": 1046064, "limit_bytes": 1048576, "truncated": true,
             "note": "capture truncated at 1 MiB"}}
            """);
        var r = ReportPipeline.Run(ReportSource.FromFiles([Path.Combine(dir, "trace.jsonl.gz")]));
        r.Network!.Capture.ShouldNotBeNull().Truncated.ShouldBeTrue();
        ReportWriters.ToMarkdown(r).ShouldContain("**capture truncated at 1 MiB** (`--capture-limit`)");
        HtmlReportWriter.Write(r).ShouldContain("<b>capture truncated at 1 MiB</b>");
        using (var doc = JsonDocument.Parse(ReportWriters.ToJson(r)))
            doc.RootElement.GetProperty("network").GetProperty("capture").GetProperty("note").GetString().ShouldBe("capture truncated at 1 MiB");
        // not cut: nothing said
        File.WriteAllText(net, """{"capture": {"frames": 9, "bytes": 900, "limit_bytes": 67108864, "truncated": false}}""");
        var whole = ReportPipeline.Run(ReportSource.FromFiles([Path.Combine(dir, "trace.jsonl.gz")]));
        ReportWriters.ToMarkdown(whole).ShouldNotContain("capture truncated");
        File.WriteAllText(net, """{"capture": {"truncated": "yes"}}""");
        Should.Throw<NetworkFormatException>(() => NetworkFile.Read(net)).Message.ShouldContain("$.capture.truncated: expected true or false");
    }

    [Fact]
    public void Guest_chosen_names_are_escaped_in_markdown_and_html()
    {
        var dir = ExportInputs.CopyOfNetprobe();
        File.WriteAllText(Path.Combine(dir, NetworkFile.Name), """
            {"http": [{"method": "GET", "host": "<img src=x onerror=alert(1)>", "url": "/a|b", "user_agent": "[x](http://evil)"}]}
            """);
        var r = ReportPipeline.Run(ReportSource.FromFiles([Path.Combine(dir, "trace.jsonl.gz")]));
        HtmlReportWriter.Write(r).ShouldNotContain("<img src=x");
        var md = ReportWriters.ToMarkdown(r);
        md.ShouldNotContain("<img");
        md.ShouldContain("/a\\|b");
        md.ShouldContain("\\[x\\]");
    }

    [Theory]
    [InlineData("""{"dns": [{"name": 5}]}""", "$.dns[0].name: expected a string, got 5")]
    [InlineData("""{"http": [{"status": "x"}]}""", "$.http[0].status: expected an integer, got \"x\"")]
    [InlineData("""{"flows": {}}""", "$.flows: expected an array, got an object")]
    [InlineData("""{"dns": [{"answers": ["a", 1]}]}""", "$.dns[0].answers[1]: expected a string, got 1")]
    [InlineData("[1, 2]", "$: expected an object, got an array")]
    [InlineData("""{"dns": [""", "line 1")]
    [InlineData("""{"flows": [{"src_port": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]}""",
        "$.flows[0].src_port: expected an integer, got \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA...\"")]
    public void A_damaged_network_json_beside_the_log_marks_the_section_and_the_report_stands(string content, string message)
    {
        var dir = ExportInputs.CopyOfNetprobe();
        var path = Path.Combine(dir, NetworkFile.Name);
        File.WriteAllText(path, content);
        var r = ReportPipeline.Run(ReportSource.FromFiles([Path.Combine(dir, "trace.jsonl.gz")]));
        r.Network.ShouldNotBeNull().Error.ShouldNotBeNull().ShouldContain(message);
        r.Network.Error.ShouldStartWith(path);
        r.Processes.ShouldContain(p => p.Name == "netprobe");
        ReportWriters.ToMarkdown(r).ShouldContain("**network.json could not be read**");
        HtmlReportWriter.Write(r).ShouldContain("network.json could not be read");
        // Named with the option instead, the same file is an error.
        var ex = Should.Throw<NetworkFormatException>(() => ReportPipeline.Run(ReportSource.FromFiles([Path.Combine(dir, "trace.jsonl.gz")]),
            new ReportPipelineOptions { Network = path }));
        ex.Message.ShouldContain(message);
    }

    [Fact]
    public void Every_truncation_of_a_real_network_json_gives_a_section_or_a_marked_one_never_a_crash()
    {
        var dir = ExportInputs.CopyOfNetprobe();
        var path = Path.Combine(dir, NetworkFile.Name);
        var whole = File.ReadAllBytes(TestLogs.Fixture(Path.Combine("netprobe-run", NetworkFile.Name)));
        for (var cut = 0; cut < whole.Length; cut += 37)
        {
            File.WriteAllBytes(path, whole[..cut]);
            NetworkReportOf(path).Error.ShouldNotBeNull($"cut at {cut}");
        }
        // Bytes flipped: each result is a section (maybe marked), and the exports and comparison still work on it.
        var random = new Random(13);
        for (var i = 0; i < 200; i++)
        {
            var bad = (byte[])whole.Clone();
            bad[random.Next(bad.Length)] = (byte)random.Next(256);
            File.WriteAllBytes(path, bad);
            var n = NetworkReportOf(path);
            var report = new Report { Network = n };
            Exports.StixBundle.Write(report).ShouldContain("malware-analysis");
            Exports.MispEvent.Write(report).ShouldContain("\"Event\"");
            BehaviourSummary.FromReport(report).ShouldNotBeNull();
        }
    }

    private static ReportNetwork NetworkReportOf(string path)
    {
        try { return NetworkFile.Read(path); }
        catch (NetworkFormatException ex) { return new ReportNetwork { Source = path, Error = ex.Message }; }
    }

    private static Dictionary<long, JsonElement> TraceRecords()
    {
        using var gz = new GZipStream(File.OpenRead(ExportInputs.NetprobeTrace), CompressionMode.Decompress);
        using var reader = new StreamReader(gz);
        var map = new Dictionary<long, JsonElement>();
        while (reader.ReadLine() is { } line)
            if (line.Length > 0) { var e = JsonDocument.Parse(line).RootElement; map[e.GetProperty("no").GetInt64()] = e; }
        return map;
    }
}
