using System.Text.Json;
using Alkanet.Analysis.Output;

namespace Alkanet.Analysis.Pipeline;

/// <summary>
/// Reads a run's <c>network.json</c> (written by <c>alkanet run --network</c> from Suricata's eve.json; fields in
/// docs/NETWORK.md) into the report's <see cref="ReportNetwork"/>. The file is input like a log: a field of the wrong
/// type stops with the file and the JSON path (<c>$.http[2].status: expected a number, got "x"</c>); a missing list
/// is empty; fields this reader does not know are ignored.
/// </summary>
public static class NetworkFile
{
    public const string Name = "network.json";

    /// <summary>The network.json of the run folder <paramref name="log"/> is in; null when there is none.</summary>
    public static string? Beside(string log)
    {
        if (log == "-") return null;
        var path = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(log)) ?? ".", Name);
        return File.Exists(path) ? path : null;
    }

    /// <exception cref="NetworkFormatException">Not JSON, or a field of the wrong type (the message says where).</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static ReportNetwork Read(string path)
    {
        JsonDocument doc;
        var bytes = File.ReadAllBytes(path);
        // JsonDocument checks UTF-8 only when a string is read; check it all first, so a bad byte is a format error.
        if (!System.Text.Unicode.Utf8.IsValid(bytes)) throw new NetworkFormatException($"{path}: not UTF-8 text");
        try
        {
            doc = JsonDocument.Parse(bytes);
        }
        catch (JsonException ex)
        {
            throw new NetworkFormatException($"{path}: line {(ex.LineNumber ?? 0) + 1}, byte {ex.BytePositionInLine ?? 0}: not JSON: " +
                ex.Message.Split(" LineNumber:")[0]);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new NetworkFormatException($"{path}: $: expected an object, got {Kind(root)}");
            var r = new JsonReader(path);
            var n = new ReportNetwork { Source = path };
            foreach (var (e, at) in r.Items(root, "dns", "$"))
                n.Dns.Add(new ReportDns { Name = r.Str(e, "name", at), Type = r.Str(e, "type", at), Answers = r.Strings(e, "answers", at) });
            foreach (var (e, at) in r.Items(root, "http", "$"))
                n.Http.Add(new ReportHttp
                {
                    Method = r.Str(e, "method", at), Host = r.Str(e, "host", at), Uri = r.Str(e, "url", at),
                    UserAgent = r.Str(e, "user_agent", at), Status = (int?)r.Number(e, "status", at), Client = r.Str(e, "client", at),
                    Server = r.Str(e, "server", at),
                });
            foreach (var (e, at) in r.Items(root, "tls", "$"))
                n.Tls.Add(new ReportTls
                {
                    Sni = r.Str(e, "sni", at), Version = r.OptStr(e, "version", at), Ja3 = r.OptStr(e, "ja3", at),
                    Ja3s = r.OptStr(e, "ja3s", at), Ja4 = r.OptStr(e, "ja4", at),
                });
            // network.json files written before the "tls" list carry only the server names.
            foreach (var sni in r.Strings(root, "tls_sni", "$").Where(s => n.Tls.All(t => t.Sni != s)))
                n.Tls.Add(new ReportTls { Sni = sni });
            foreach (var (e, at) in r.Items(root, "flows", "$"))
                n.Flows.Add(new ReportFlow
                {
                    Proto = r.Str(e, "proto", at), Src = r.Str(e, "src", at), SrcPort = (int)(r.Number(e, "src_port", at) ?? 0),
                    Dst = r.Str(e, "dst", at), DstPort = (int)(r.Number(e, "dst_port", at) ?? 0), App = r.OptStr(e, "app", at),
                    Packets = r.Number(e, "packets", at) ?? 0, Start = r.Str(e, "start", at), Processes = r.Strings(e, "processes", at),
                });
            foreach (var (e, at) in r.Items(root, "alerts", "$"))
                n.Alerts.Add(new ReportAlert
                {
                    Sid = r.Number(e, "sid", at) ?? 0, Signature = r.Str(e, "signature", at), Category = r.Str(e, "category", at),
                    Severity = (int)(r.Number(e, "severity", at) ?? 0), Src = r.Str(e, "src", at), Dst = r.Str(e, "dst", at),
                });
            n.EveBadLines = r.Number(root, "eve_bad_lines", "$") ?? 0;
            if (r.Object(root, "capture", "$") is { } c)
                n.Capture = new ReportCapture
                {
                    Frames = r.Number(c, "frames", "$.capture") ?? 0, Bytes = r.Number(c, "bytes", "$.capture") ?? 0,
                    LimitBytes = r.Number(c, "limit_bytes", "$.capture") ?? 0, Truncated = r.Bool(c, "truncated", "$.capture") ?? false,
                };
            n.Iocs = Iocs(n);
            return n;
        }
    }

    /// <summary>Domains: names looked up, TLS server names and HTTP hosts that are names; URLs requested; addresses: flow
    /// responders the guest reached by literal address (not one the run's DNS answered: those are the sink's), less the
    /// link's own traffic (multicast, broadcast, link-local, loopback, unspecified: IPv6 neighbour discovery and the like).</summary>
    public static ReportNetworkIocs Iocs(ReportNetwork n)
    {
        static bool IsAddress(string s) => System.Net.IPAddress.TryParse(s.Split(':')[0], out _);
        var answered = n.Dns.SelectMany(d => d.Answers).ToHashSet(StringComparer.Ordinal);
        return new ReportNetworkIocs
        {
            Domains = [.. n.Dns.Select(d => d.Name).Concat(n.Tls.Select(t => t.Sni)).Concat(n.Http.Select(h => h.Host))
                .Where(x => x.Length > 0 && !IsAddress(x)).Select(x => x.TrimEnd('.').ToLowerInvariant()).Distinct(StringComparer.Ordinal)],
            Urls = [.. n.Http.Where(h => h.Host.Length > 0 || h.Uri.Contains("://", StringComparison.Ordinal)).Select(h => h.Url)
                .Distinct(StringComparer.Ordinal)],
            Ips = [.. n.Flows.Select(f => f.Dst).Where(d => Routable(d) && !answered.Contains(d)).Distinct(StringComparer.Ordinal)],
        };
    }

    private static bool Routable(string s)
    {
        if (!System.Net.IPAddress.TryParse(s, out var a)) return false;
        if (System.Net.IPAddress.IsLoopback(a) || a.Equals(System.Net.IPAddress.Any) || a.Equals(System.Net.IPAddress.IPv6Any)) return false;
        if (a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
            return !(a.IsIPv6Multicast || a.IsIPv6LinkLocal);
        var b = a.GetAddressBytes();
        return !(b[0] >= 224 || (b[0] == 169 && b[1] == 254)); // multicast, reserved and broadcast; link-local
    }

    /// <summary>The value as the message shows it: strings and numbers clipped (the file is hostile input).</summary>
    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => $"\"{Clip(e.GetString()!)}\"", JsonValueKind.Array => "an array", JsonValueKind.Object => "an object",
        _ => Clip(e.GetRawText()),
    };

    private static string Clip(string s) => s.Length <= 60 ? s : s[..57] + "...";

    /// <summary>Typed access that names the file and JSON path of a value of the wrong type.</summary>
    private sealed class JsonReader(string file)
    {
        public IEnumerable<(JsonElement Item, string At)> Items(JsonElement o, string name, string at)
        {
            if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) yield break;
            if (v.ValueKind != JsonValueKind.Array) throw Bad($"{at}.{name}", "an array", v);
            var i = 0;
            foreach (var e in v.EnumerateArray())
            {
                var path = $"{at}.{name}[{i++}]";
                if (e.ValueKind != JsonValueKind.Object) throw Bad(path, "an object", e);
                yield return (e, path);
            }
        }

        public string Str(JsonElement o, string name, string at) => OptStr(o, name, at) ?? "";

        public JsonElement? Object(JsonElement o, string name, string at)
        {
            if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            return v.ValueKind == JsonValueKind.Object ? v : throw Bad($"{at}.{name}", "an object", v);
        }

        public bool? Bool(JsonElement o, string name, string at)
        {
            if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            return v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : throw Bad($"{at}.{name}", "true or false", v);
        }

        public string? OptStr(JsonElement o, string name, string at)
        {
            if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            return v.ValueKind == JsonValueKind.String ? v.GetString() : throw Bad($"{at}.{name}", "a string", v);
        }

        public long? Number(JsonElement o, string name, string at)
        {
            if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            return v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var x) ? x : throw Bad($"{at}.{name}", "an integer", v);
        }

        public List<string> Strings(JsonElement o, string name, string at)
        {
            if (!o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return [];
            if (v.ValueKind != JsonValueKind.Array) throw Bad($"{at}.{name}", "an array of strings", v);
            var list = new List<string>();
            var i = 0;
            foreach (var e in v.EnumerateArray())
            {
                if (e.ValueKind != JsonValueKind.String) throw Bad($"{at}.{name}[{i}]", "a string", e);
                list.Add(e.GetString()!);
                i++;
            }
            return list;
        }

        private NetworkFormatException Bad(string path, string expected, JsonElement got) =>
            new($"{file}: {path}: expected {expected}, got {Kind(got)}");
    }
}

/// <summary>A network.json that cannot be read; the message names the file and where in it.</summary>
public sealed class NetworkFormatException(string message) : Exception(message);
