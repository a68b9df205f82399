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

    private sealed class DnsComparer : IEqualityComparer<EveSummary.Dns>
    {
        public bool Equals(EveSummary.Dns? a, EveSummary.Dns? b) => a!.Name == b!.Name && a.Type == b.Type && a.Answers.SequenceEqual(b.Answers);
        public int GetHashCode(EveSummary.Dns d) => d.Name.GetHashCode(StringComparison.Ordinal);
    }
}
