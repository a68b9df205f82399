using Alkanet.Vmm.Network;

namespace Alkanet.Vmm.Tests.Unit;

/// <summary>eve.json lines in Suricata 7's format (the shapes it wrote for the netprobe sample's capture).</summary>
public sealed class EveSummaryTests
{
    [Fact]
    public void Reads_dns_http_tls_flows_and_alerts_and_counts_torn_lines()
    {
        var p = Path.GetTempFileName();
        File.WriteAllLines(p,
        [
            """{"event_type":"dns","src_ip":"10.13.0.2","dest_ip":"10.13.0.1","dns":{"type":"query","rrname":"c2.example.test","rrtype":"A"}}""",
            """{"event_type":"dns","dns":{"type":"answer","rrname":"c2.example.test","rrtype":"A","answers":[{"rrname":"c2.example.test","rdata":"10.13.0.1"}]}}""",
            """{"event_type":"http","src_ip":"10.13.0.2","src_port":40000,"dest_ip":"10.13.0.1","dest_port":80,"http":""" +
            """{"hostname":"c2.example.test","url":"/x.txt","http_user_agent":"ua/1","http_method":"GET","status":200}}""",
            """{"event_type":"tls","tls":{"sni":"secure.example.test"}}""",
            """{"event_type":"flow","proto":"TCP","src_ip":"10.13.0.2","src_port":40000,"dest_ip":"10.13.0.1","dest_port":80,"app_proto":"http","flow":""" +
            """{"pkts_toserver":6,"pkts_toclient":5,"start":"2026-12-06T06:00:00.000000+0000"}}""",
            """{"event_type":"alert","src_ip":"10.13.0.2","dest_ip":"10.13.0.1","alert":{"signature_id":9100002,"signature":"s","category":"c","severity":1}}""",
            """[1,2]""",
            """{"event_type":"http","http":{"hostname":""",
        ]);
        var s = EveSummary.Read(p);
        s.DnsQueries.ShouldHaveSingleItem().ShouldBe(new EveSummary.Dns("c2.example.test", "A", ["10.13.0.1"]), new DnsComparer());
        var h = s.HttpRequests.ShouldHaveSingleItem();
        (h.Method, h.Host, h.Url, h.UserAgent, h.Status, h.Client, h.Server)
            .ShouldBe(("GET", "c2.example.test", "/x.txt", "ua/1", (int?)200, "10.13.0.2:40000", "10.13.0.1:80"));
        s.TlsServerNames.ShouldBe(["secure.example.test"]);
        s.Flows.ShouldHaveSingleItem().Packets.ShouldBe(11);
        s.Alerts.ShouldHaveSingleItem().Sid.ShouldBe(9100002);
        s.BadLines.ShouldBe(2, "a JSON array and a torn line");
        var json = Path.GetTempFileName();
        s.Write(json);
        File.ReadAllText(json).ShouldContain("http://c2.example.test/x.txt");
        File.Delete(p);
        File.Delete(json);
    }

    private static string FlowLine(int srcPort) =>
        $$"""{"event_type":"flow","proto":"TCP","src_ip":"10.13.0.2","src_port":{{srcPort}},"dest_ip":"10.13.0.1","dest_port":80,"""
        + """ "flow":{"start":"2026-12-06T06:00:00.000000+0000"}}""";

    private static string Call(string log, string pid, string name, string info) =>
        $$"""{"no":1,"logtype":"{{log}}","proc_pid":"{{pid}}","proc_tid":"{{pid}}","proc_name":"beacon","name":"{{name}}","additional_info":{"""
        + info + "}}";

    [Fact]
    public void Network_json_names_each_flows_process_by_5_tuple_when_the_connect_EXIT_gave_the_local_port()
    {
        var eve = Path.GetTempFileName();
        File.WriteAllLines(eve, [FlowLine(41000), FlowLine(41001), FlowLine(41005)]);
        var trace = Path.GetTempFileName();
        // two processes connect to the same server; their EXITs (interleaved) give their local ports
        File.WriteAllLines(trace,
        [
            Call("ENTER", "41", "connect", "\"fd\":\"3\",\"remote_address\":\"10.13.0.1:80\""),
            Call("ENTER", "42", "connect", "\"fd\":\"3\",\"remote_address\":\"10.13.0.1:80\""),
            Call("EXIT", "42", "connect", "\"local_port\":\"41001\""),
            Call("EXIT", "41", "connect", "\"local_port\":\"41000\""),
            "{\"torn",
        ]);
        var s = EveSummary.Read(eve);
        s.JoinProcesses(trace);
        s.Flows.Select(f => (f.SrcPort, string.Join(", ", f.Processes), f.Match)).ShouldBe([
            (41000, "beacon (pid 41)", "5-tuple"), (41001, "beacon (pid 42)", "5-tuple"),
            (41005, "beacon (pid 41), beacon (pid 42)", "address")]);
        var json = Path.GetTempFileName();
        s.Write(json);
        File.ReadAllText(json).ShouldContain("\"match\": \"5-tuple\"");
        foreach (var f in new[] { eve, trace, json }) File.Delete(f);
    }

    [Fact]
    public void Tls_handshakes_keep_the_ja3_ja3s_and_ja4_fingerprints_when_eve_has_them()
    {
        var p = Path.GetTempFileName();
        // EVE's tls object (Suricata 7 documentation, "Event type: TLS"): ja3/ja3s are {hash, string}, ja4 a string.
        File.WriteAllLines(p,
        [
            """{"event_type":"tls","tls":{"sni":"secure.example.test","version":"TLS 1.3","ja3":{"hash":"e7d705a3286e""" +
            """19ea42f587b344ee6865","string":"771,4866"},"ja3s":{"hash":"f4febc55ea12b31ae17cfb7e614afda8","string":"771,4866"},"ja4":"t13""" +
            """d1516h2_8daaf6152771_e5627efa2ab1"}}""",
            """{"event_type":"tls","tls":{"sni":"plain.example.test","version":"TLS 1.2"}}""",
        ]);
        var s = EveSummary.Read(p);
        s.TlsServerNames.ShouldBe(["secure.example.test", "plain.example.test"]);
        s.TlsHandshakes[0].ShouldBe(new EveSummary.Tls("secure.example.test", "TLS 1.3", "e7d705a3286e19ea42f587b344ee6865",
            "f4febc55ea12b31ae17cfb7e614afda8", "t13d1516h2_8daaf6152771_e5627efa2ab1"));
        var json = Path.GetTempFileName();
        s.Write(json);
        var tls = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json)).RootElement.GetProperty("tls");
        tls[0].GetProperty("ja4").GetString().ShouldBe("t13d1516h2_8daaf6152771_e5627efa2ab1");
        tls[1].GetProperty("ja3").ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null);
        File.Delete(p);
        File.Delete(json);
    }

    private sealed class DnsComparer : IEqualityComparer<EveSummary.Dns>
    {
        public bool Equals(EveSummary.Dns? a, EveSummary.Dns? b) => a!.Name == b!.Name && a.Type == b.Type && a.Answers.SequenceEqual(b.Answers);
        public int GetHashCode(EveSummary.Dns d) => d.Name.GetHashCode(StringComparison.Ordinal);
    }
}
