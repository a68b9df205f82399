using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Alkanet.Analysis.Model;
using Alkanet.Analysis.Output;

namespace Alkanet.Analysis.Exports;

/// <summary>
/// <c>alkanet report --format stix</c>: the report as a STIX 2.1 bundle (OASIS STIX 2.1, sections 4.10 malware-analysis and
/// 6 cyber-observables): one malware-analysis object whose <c>analysis_sco_refs</c> name what the run observed — the
/// sample's processes (pid, command line, image, parent/child links), the files it dropped with their hashes (a partial
/// file gets no hashes: its hash is not the file's), the injected memory regions as artifacts with their bytes, mutexes, registry keys (and values set), the domains, URLs and
/// addresses of the network section or the connect endpoints, and the flows as network-traffic (HTTP requests as
/// http-request-ext) — and one indicator per network IOC, for a TIP to act on.
/// </summary>
public static class StixBundle
{
    public static string Write(Report r, DateTimeOffset? now = null)
    {
        var b = new Builder(now ?? DateTimeOffset.UtcNow);
        b.Build(r);
        return b.Bundle.ToJsonString(Options);
    }

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private sealed class Builder(DateTimeOffset now)
    {
        private readonly string _time = Timestamp(now);
        private readonly JsonArray _objects = [];
        private readonly Dictionary<string, JsonObject> _byId = new(StringComparer.Ordinal);
        private readonly List<string> _observed = [];

        public JsonObject Bundle => new() { ["type"] = "bundle", ["id"] = StixIds.Random("bundle"), ["objects"] = _objects };

        public void Build(Report r)
        {
            var files = DroppedFiles(r);
            InjectedMemory(r);
            var processes = Processes(r, files);
            foreach (var i in r.Behaviour)
            {
                switch (i.Kind)
                {
                    case BehaviourKinds.MutexCreate: Observe(Sco("mutex", new JsonObject { ["name"] = i.Object })); break;
                    case BehaviourKinds.RegistryCreate or BehaviourKinds.RegistryDelete: Observe(RegistryKey(i.Object, null, null)); break;
                    case BehaviourKinds.RegistrySet:
                        var cut = i.Object.LastIndexOf('\\');
                        if (cut > 0) Observe(RegistryKey(i.Object[..cut], i.Object[(cut + 1)..], i.Detail));
                        break;
                    case BehaviourKinds.NetworkConnect when r.Network is null && Endpoint(i.Object) is { } ep:
                        Observe(Traffic(null, Address(ep.Ip), null, ep.Port, [Kind(ep.Ip)[..4]], null));
                        break;
                }
            }
            if (r.Network is { Error: null } n) Network(n);
            var sample = r.Sample.Roots.Select(seq => processes.GetValueOrDefault(seq)).OfType<JsonObject>()
                .Select(p => p["image_ref"]?.GetValue<string>()).OfType<string>().FirstOrDefault();
            var analysis = new JsonObject
            {
                ["type"] = "malware-analysis", ["spec_version"] = "2.1", ["id"] = StixIds.Random("malware-analysis"),
                ["created"] = _time, ["modified"] = _time, ["product"] = "alkanet",
                ["version"] = typeof(StixBundle).Assembly.GetName().Version?.ToString(3) ?? "0",
                ["result"] = r.Findings.Any(f => f.Severity is "high" or "critical") ? "malicious" : r.Findings.Count > 0 ? "suspicious" : "unknown",
            };
            if (r.Findings.Count > 0)
                analysis["result_name"] = string.Join("; ", r.Findings.Take(8).Select(f => f.Title));
            if (sample is not null) analysis["sample_ref"] = sample;
            if (_observed.Count > 0) analysis["analysis_sco_refs"] = new JsonArray([.. _observed.Distinct().Select(id => (JsonNode)id)]);
            _objects.Insert(0, analysis);
        }

        /// <summary>Each dropped file once per content (its last path's name), with its folder; path → file id.</summary>
        private Dictionary<string, string> DroppedFiles(Report r)
        {
            var byPath = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var f in r.DroppedFiles)
            {
                var file = new JsonObject { ["name"] = ExportPaths.FileName(f.Path) };
                if (!f.Partial)
                    file["hashes"] = new JsonObject { ["SHA-256"] = f.Sha256, ["SHA-1"] = f.Sha1, ["MD5"] = f.Md5 };
                if (ExportPaths.Folder(f.Path) is { } dir)
                    file["parent_directory_ref"] = Observe(Sco("directory", new JsonObject { ["path"] = dir }));
                var id = Observe(Sco("file", file, size: f.Size));
                foreach (var p in f.Paths) byPath[p] = id;
            }
            return byPath;
        }

        /// <summary>Each injected region as an <c>artifact</c> (its captured bytes as <c>payload_bin</c>, their SHA-256,
        /// application/octet-stream): STIX has no memory-region object, and an artifact is "an array of bytes". A region whose
        /// content the report does not hold (a report read back from report.json) is left out: the schema requires the bytes
        /// or a URL to them. A partial region's bytes are those captured (zeros in the gaps), and its hash is theirs.</summary>
        private void InjectedMemory(Report r)
        {
            foreach (var m in r.InjectedMemoryContent)
                Observe(Sco("artifact", new JsonObject
                {
                    ["hashes"] = new JsonObject { ["SHA-256"] = m.Sha256 }, ["payload_bin"] = Convert.ToBase64String(m.Content.Span),
                }, extra: new JsonObject { ["mime_type"] = "application/octet-stream" }));
        }

        /// <summary>The sample's processes (and those it injected into), each with its image as a file and its parent/children.</summary>
        private Dictionary<int, JsonObject> Processes(Report r, Dictionary<string, string> dropped)
        {
            var shown = ReportWriters.Relevant(r);
            var map = new Dictionary<int, JsonObject>();
            foreach (var p in r.Processes.Where(p => shown.Contains(p.Seq)))
            {
                var proc = new JsonObject { ["type"] = "process", ["spec_version"] = "2.1", ["id"] = StixIds.Random("process"),
                    ["pid"] = (long)p.ProcessId };
                if (p.CommandLine is { Length: > 0 } cmd) proc["command_line"] = cmd;
                var image = p.Image ?? p.Name;
                if (image.Length > 0)
                {
                    proc["image_ref"] = dropped.TryGetValue(image, out var known) ? known : Observe(Sco("file", new JsonObject
                    {
                        ["name"] = ExportPaths.FileName(image),
                    }));
                }
                map[p.Seq] = proc;
            }
            foreach (var p in r.Processes.Where(p => map.ContainsKey(p.Seq)))
            {
                if (p.ParentSeq is not { } ps || !map.TryGetValue(ps, out var parent)) continue;
                map[p.Seq]["parent_ref"] = parent["id"]!.GetValue<string>();
                if (parent["child_refs"] is not JsonArray kids) parent["child_refs"] = kids = [];
                kids.Add(map[p.Seq]["id"]!.GetValue<string>());
            }
            foreach (var proc in map.Values) Observe(proc);
            return map;
        }

        private void Network(ReportNetwork n)
        {
            foreach (var d in n.Dns.Where(d => d.Name.Length > 0))
            {
                var answers = d.Answers.Select(a => IPAddress.TryParse(a, out _) ? Address(a) : null).OfType<string>().ToList();
                Observe(Sco("domain-name", new JsonObject { ["value"] = d.Name.TrimEnd('.').ToLowerInvariant() },
                    extra: answers.Count > 0
                        ? new JsonObject { ["resolves_to_refs"] = new JsonArray([.. answers.Select(a => (JsonNode)a)]) } : null));
            }
            foreach (var domain in n.Iocs.Domains) Observe(Sco("domain-name", new JsonObject { ["value"] = domain }));
            foreach (var url in n.Iocs.Urls) Observe(Sco("url", new JsonObject { ["value"] = url }));
            foreach (var f in n.Flows.Where(f => IPAddress.TryParse(f.Src, out _) && IPAddress.TryParse(f.Dst, out _)))
            {
                var layer3 = IPAddress.Parse(f.Dst).AddressFamily == AddressFamily.InterNetworkV6 ? "ipv6" : "ipv4";
                var protocols = new List<string> { layer3, f.Proto.ToLowerInvariant() };
                if (f.App is { Length: > 0 } app && app != "failed") protocols.Add(app.ToLowerInvariant());
                var http = n.Http.FirstOrDefault(h => h.Server == $"{f.Dst}:{f.DstPort}" && h.Client == $"{f.Src}:{f.SrcPort}");
                Observe(Traffic(Address(f.Src), Address(f.Dst), f.SrcPort, f.DstPort, protocols, Timestamp(f.Start), http));
            }
            foreach (var ip in n.Iocs.Ips) Indicator($"[{Kind(ip)}:value = '{Quote(ip)}']", $"Address contacted directly: {ip}");
            foreach (var d in n.Iocs.Domains) Indicator($"[domain-name:value = '{Quote(d)}']", $"Domain looked up or contacted: {d}");
            foreach (var u in n.Iocs.Urls) Indicator($"[url:value = '{Quote(u)}']", $"URL requested: {u}");
        }

        private string Traffic(string? src, string? dst, int? srcPort, int dstPort, List<string> protocols, string? start,
            ReportHttp? http = null)
        {
            var t = new JsonObject();
            if (start is not null) t["start"] = start;
            if (src is not null) t["src_ref"] = src;
            if (dst is not null) t["dst_ref"] = dst;
            if (srcPort is { } sp && sp is > 0 and <= 65535) t["src_port"] = sp;
            if (dstPort is > 0 and <= 65535) t["dst_port"] = dstPort;
            t["protocols"] = new JsonArray([.. protocols.Select(p => (JsonNode)p)]);
            if (http is not null && http.Method.Length > 0)
            {
                var ext = new JsonObject { ["request_method"] = http.Method.ToLowerInvariant(), ["request_value"] = http.Uri };
                var headers = new JsonObject();
                // The schema gives each header a list of values (a header may repeat).
                if (http.Host.Length > 0) headers["Host"] = new JsonArray(http.Host);
                if (http.UserAgent.Length > 0) headers["User-Agent"] = new JsonArray(http.UserAgent);
                if (headers.Count > 0) ext["request_header"] = headers;
                t["extensions"] = new JsonObject { ["http-request-ext"] = ext };
            }
            return Sco("network-traffic", t);
        }

        private string RegistryKey(string key, string? valueName, string? data)
        {
            var k = new JsonObject { ["key"] = FullHive(key) };
            if (valueName is not null)
            {
                var value = new JsonObject { ["name"] = valueName };
                if (data is not null) value["data"] = data;
                k["values"] = new JsonArray(value);
            }
            return Sco("windows-registry-key", k);
        }

        private string Address(string ip) => Sco(Kind(ip), new JsonObject { ["value"] = ip });

        private void Indicator(string pattern, string name) => _objects.Add(new JsonObject
        {
            ["type"] = "indicator", ["spec_version"] = "2.1", ["id"] = StixIds.Random("indicator"), ["created"] = _time, ["modified"] = _time,
            ["name"] = name, ["description"] = "Seen in an Alkanet analysis run (isolated network: the fake services answered).",
            ["indicator_types"] = new JsonArray("unknown"), ["pattern"] = pattern, ["pattern_type"] = "stix", ["valid_from"] = _time,
        });

        /// <summary>A cyber-observable with its UUIDv5 id from <paramref name="contributing"/> (the properties the
        /// specification names for its type), then <paramref name="extra"/> properties; an object seen twice is kept once.</summary>
        private string Sco(string type, JsonObject contributing, long? size = null, JsonObject? extra = null)
        {
            var id = StixIds.Of(type, contributing);
            if (_byId.ContainsKey(id)) return id;
            var o = new JsonObject { ["type"] = type, ["spec_version"] = "2.1", ["id"] = id };
            foreach (var (k, v) in contributing.ToList()) { contributing.Remove(k); o[k] = v; }
            if (size is { } s) o["size"] = s;
            if (extra is not null) foreach (var (k, v) in extra.ToList()) { extra.Remove(k); o[k] = v; }
            _byId[id] = o;
            _objects.Add(o);
            return id;
        }

        private string Observe(string id)
        {
            _observed.Add(id);
            return id;
        }

        private string Observe(JsonObject o)
        {
            var id = o["id"]!.GetValue<string>();
            if (_byId.TryAdd(id, o)) _objects.Add(o);
            return Observe(id);
        }
    }

    private static string Kind(string ip) =>
        IPAddress.TryParse(ip, out var a) && a.AddressFamily == AddressFamily.InterNetworkV6 ? "ipv6-addr" : "ipv4-addr";

    /// <summary>"IP:PORT" (or "[v6]:PORT") of a connect record.</summary>
    private static (string Ip, int Port)? Endpoint(string s) =>
        IPEndPoint.TryParse(s, out var ep) && ep.Port > 0 ? (ep.Address.ToString(), ep.Port) : null;

    /// <summary>STIX keys name the hive in full (the schema refuses HKLM...).</summary>
    private static string FullHive(string key)
    {
        foreach (var (abbr, full) in Hives)
            if (key.StartsWith(abbr + "\\", StringComparison.OrdinalIgnoreCase) || key.Equals(abbr, StringComparison.OrdinalIgnoreCase))
                return full + key[abbr.Length..];
        return key;
    }

    private static readonly (string, string)[] Hives =
    [
        ("HKLM", "HKEY_LOCAL_MACHINE"), ("HKU", "HKEY_USERS"), ("HKCU", "HKEY_CURRENT_USER"), ("HKCR", "HKEY_CLASSES_ROOT"),
        ("HKCC", "HKEY_CURRENT_CONFIG"), ("\\REGISTRY\\MACHINE", "HKEY_LOCAL_MACHINE"), ("\\REGISTRY\\USER", "HKEY_USERS"),
    ];



    /// <summary>A STIX pattern string literal: backslash and quote escaped.</summary>
    private static string Quote(string s) => s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal);

    private static string Timestamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Suricata's flow start ("2026-12-06T08:01:02.123456+0000") as a STIX timestamp; null when it does not parse.</summary>
    private static string? Timestamp(string suricata)
    {
        // DateTimeOffset reads "+00:00"; Suricata writes "+0000".
        var s = suricata.Length > 5 && suricata[^5] is '+' or '-' && suricata[^3] != ':' ? suricata[..^2] + ":" + suricata[^2..] : suricata;
        return DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture) : null;
    }
}
