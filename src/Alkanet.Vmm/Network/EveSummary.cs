using System.Text.Json;

namespace Alkanet.Vmm.Network;

/// <summary>What Suricata's eve.json says about a run, kept small: the DNS names asked and their answers, the HTTP
/// requests, the TLS server names, the flows and the alerts. eve.json is read line by line; a line that is not a JSON
/// object (a torn last line) is counted, never fatal. Field names are Suricata 7's documented EVE format.</summary>
public sealed class EveSummary
{
    public sealed record Dns(string Name, string Type, IReadOnlyList<string> Answers);
    public sealed record Http(string Method, string Host, string Url, string UserAgent, int? Status, string Client, string Server);
    public sealed record Flow(string Proto, string Src, int SrcPort, string Dst, int DstPort, string? App, long Packets, string Start)
    {
        /// <summary>The processes that opened it (<see cref="FlowProcesses"/>); empty when no record matched.</summary>
        public IReadOnlyList<string> Processes { get; set; } = [];

        /// <summary>How <see cref="Processes"/> were found: "5-tuple", "address", or null.</summary>
        public string? Match { get; set; }
    }
    /// <summary>A TLS handshake: server name, version, and the JA3/JA3S hashes and JA4 fingerprint when Suricata computed them.</summary>
    public sealed record Tls(string Sni, string Version, string Ja3, string Ja3s, string Ja4);
    public sealed record Alert(long Sid, string Signature, string Category, int Severity, string Src, string Dst);

    public List<Dns> DnsQueries { get; } = [];
    public List<Http> HttpRequests { get; } = [];
    public List<string> TlsServerNames { get; } = [];
    public List<Tls> TlsHandshakes { get; } = [];
    public List<Flow> Flows { get; } = [];
    public List<Alert> Alerts { get; } = [];
    public int BadLines { get; private set; }

    /// <summary>The capture Suricata read, as <see cref="PcapBound"/> left it, and its limit; null when not known.</summary>
    public (PcapBound.Result Bound, long LimitBytes)? Capture { get; set; }

    /// <summary>Names each flow's processes from the run's connect/sendto records (<see cref="FlowProcesses"/>).</summary>
    public void JoinProcesses(string tracePath)
    {
        var calls = FlowProcesses.Read(tracePath);
        foreach (var f in Flows)
        {
            var remote = f.Dst.Contains(':', StringComparison.Ordinal) ? $"[{f.Dst}]:{f.DstPort}" : $"{f.Dst}:{f.DstPort}";
            (f.Processes, f.Match) = calls.Of(remote, f.SrcPort);
        }
    }

    public static EveSummary Read(string eve)
    {
        var s = new EveSummary();
        foreach (var line in File.ReadLines(eve))
        {
            if (line.Length == 0) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.ValueKind != JsonValueKind.Object) { s.BadLines++; continue; }
                s.Add(doc.RootElement);
            }
            catch (JsonException)
            {
                s.BadLines++;
            }
        }
        return s;
    }

    private void Add(JsonElement e)
    {
        var src = Str(e, "src_ip");
        var dst = Str(e, "dest_ip");
        switch (Str(e, "event_type"))
        {
            case "dns" when e.TryGetProperty("dns", out var d):
                // Suricata 7 logs the answer as a "type":"answer" event (with "answers" when grouped) and queries as "query".
                if (Str(d, "type") == "answer" || d.TryGetProperty("answers", out _))
                {
                    var answers = d.TryGetProperty("answers", out var a) && a.ValueKind == JsonValueKind.Array
                        ? a.EnumerateArray().Select(x => Str(x, "rdata")).Where(x => x.Length > 0).ToList()
                        : Str(d, "rdata") is { Length: > 0 } one ? [one] : [];
                    var name = Str(d, "rrname");
                    var known = DnsQueries.FindIndex(q => q.Name == name && q.Answers.Count == 0);
                    if (known >= 0) DnsQueries[known] = DnsQueries[known] with { Answers = answers };
                    else DnsQueries.Add(new Dns(name, Str(d, "rrtype"), answers));
                }
                else
                {
                    DnsQueries.Add(new Dns(Str(d, "rrname"), Str(d, "rrtype"), []));
                }
                break;
            case "http" when e.TryGetProperty("http", out var h):
                HttpRequests.Add(new Http(Str(h, "http_method"), Str(h, "hostname"), Str(h, "url"), Str(h, "http_user_agent"),
                    h.TryGetProperty("status", out var st) && st.TryGetInt32(out var code) ? code : null,
                    $"{src}:{Int(e, "src_port")}", $"{dst}:{Int(e, "dest_port")}"));
                break;
            case "tls" when e.TryGetProperty("tls", out var t):
                // EVE: tls.ja3/ja3s are {hash, string} objects, tls.ja4 a string (when the fingerprints are enabled).
                var hs = new Tls(Str(t, "sni"), Str(t, "version"), Str(t.TryGetProperty("ja3", out var j3) ? j3 : default, "hash"),
                    Str(t.TryGetProperty("ja3s", out var j3s) ? j3s : default, "hash"), Str(t, "ja4"));
                if (hs.Sni.Length > 0 && !TlsServerNames.Contains(hs.Sni)) TlsServerNames.Add(hs.Sni);
                if (!TlsHandshakes.Contains(hs)) TlsHandshakes.Add(hs);
                break;
            case "flow":
                var f = e.TryGetProperty("flow", out var fl) ? fl : default;
                Flows.Add(new Flow(Str(e, "proto"), src, Int(e, "src_port"), dst, Int(e, "dest_port"),
                    Str(e, "app_proto") is { Length: > 0 } app ? app : null,
                    f.ValueKind == JsonValueKind.Object ? Long(f, "pkts_toserver") + Long(f, "pkts_toclient") : 0,
                    f.ValueKind == JsonValueKind.Object ? Str(f, "start") : ""));
                break;
            case "alert" when e.TryGetProperty("alert", out var al):
                Alerts.Add(new Alert(Long(al, "signature_id"), Str(al, "signature"), Str(al, "category"), Int(al, "severity"), src, dst));
                break;
        }
    }

    private static string Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";

    private static int Int(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.TryGetInt32(out var i) ? i : 0;

    private static long Long(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.TryGetInt64(out var i) ? i : 0;

    /// <summary>DIR/network.json: the summary, for the report and for other tools (network IOCs: names, URLs, addresses).</summary>
    public void Write(string path)
    {
        using var fs = File.Create(path);
        JsonSerializer.Serialize(fs, new
        {
            dns = DnsQueries.Select(d => new { name = d.Name, type = d.Type, answers = d.Answers }),
            http = HttpRequests.Select(h => new { method = h.Method, host = h.Host, url = h.Url, user_agent = h.UserAgent, status = h.Status,
                client = h.Client, server = h.Server }),
            tls_sni = TlsServerNames,
            tls = TlsHandshakes.Select(t => new { sni = t.Sni, version = Opt(t.Version), ja3 = Opt(t.Ja3), ja3s = Opt(t.Ja3s), ja4 = Opt(t.Ja4) }),
            flows = Flows.Select(f => new { proto = f.Proto, src = f.Src, src_port = f.SrcPort, dst = f.Dst, dst_port = f.DstPort, app = f.App,
                packets = f.Packets, start = f.Start, processes = f.Processes, match = f.Match }),
            alerts = Alerts.Select(a => new
            {
                sid = a.Sid, signature = a.Signature, category = a.Category, severity = a.Severity, src = a.Src, dst = a.Dst,
            }),
            iocs = new
            {
                domains = DnsQueries.Select(d => d.Name).Concat(TlsServerNames).Concat(HttpRequests.Select(h => h.Host))
                    .Where(x => x.Length > 0).Distinct(),
                urls = HttpRequests.Select(h => $"http://{h.Host}{h.Url}").Distinct(),
                ips = Flows.Select(f => f.Dst).Where(x => x.Length > 0).Distinct(),
            },
            eve_bad_lines = BadLines,
            capture = Capture is { } c ? new
            {
                frames = c.Bound.Frames, bytes = c.Bound.Bytes, limit_bytes = c.LimitBytes, truncated = c.Bound.CapHit,
                note = c.Bound.CapHit ? PcapBound.TruncatedNote(c.LimitBytes) : null,
            } : null,
        }, Indented);
    }

    private static string? Opt(string s) => s.Length > 0 ? s : null;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
}
