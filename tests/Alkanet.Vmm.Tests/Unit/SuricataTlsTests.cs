using Alkanet.Vmm.Guest;
using Alkanet.Vmm.Network;

namespace Alkanet.Vmm.Tests.Unit;

/// <summary>Debian's Suricata, run as a networked run runs it (<see cref="SuricataRun"/>), on a real TLS 1.2 handshake
/// (Fixtures/tls-handshake.pcap: <c>openssl s_client -servername secure.alkanet-sample.test</c> against <c>openssl
/// s_server</c> on loopback, captured with an AF_PACKET socket and cut to that connection): the server name and the JA3
/// and JA3S fingerprints reach network.json's <c>tls</c> list.</summary>
public sealed class SuricataTlsTests
{
    [Fact]
    public void The_handshakes_server_name_and_ja3_fingerprints_reach_network_json()
    {
        var pcap = Path.Combine(AlkanetPaths.RepositoryRoot()!, "tests", "Alkanet.Vmm.Tests", "Fixtures", "tls-handshake.pcap");
        var dir = Directory.CreateTempSubdirectory("alkanet-suricata-").FullName;
        try
        {
            var eve = SuricataRun.Run(pcap, dir);
            var s = EveSummary.Read(eve);
            var tls = s.TlsHandshakes.ShouldHaveSingleItem();
            (tls.Sni, tls.Version).ShouldBe(("secure.alkanet-sample.test", "TLS 1.2"));
            // What Suricata 7 computes for this ClientHello / ServerHello (MD5 of the JA3 strings it logs beside them).
            tls.Ja3.ShouldBe("871a754af286dfb70c1b53c6887c62e0");
            tls.Ja3s.ShouldBe("ec74a5c51106f0419184d0dd08fb05bc");
            s.Flows.ShouldHaveSingleItem().App.ShouldBe("tls");
            var json = Path.Combine(dir, "network.json");
            s.Write(json);
            File.ReadAllText(json).ShouldContain("\"ja3\": \"871a754af286dfb70c1b53c6887c62e0\"");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
