using System.Net;
using System.Text.Json.Nodes;
using Alkanet.Analysis.Output;

namespace Alkanet.Analysis.Compare;

/// <summary>
/// The network and dropped-file-hash categories of a comparison, named as VirusTotal's relationships name them
/// (<c>contacted_domains</c>, <c>contacted_ips</c>, <c>contacted_urls</c>) plus <c>files_dropped_sha256</c>: from an
/// Alkanet report's network IOCs and dropped files, a CAPE report's <c>network</c> (hosts, domains, dns, http, http_ex,
/// https_ex) and <c>dropped[].sha256</c>, and a VirusTotal summary's dns_lookups, http_conversations, ip_traffic,
/// files_dropped[].sha256 and contacted_* lists. Each has its own comparison key (<see cref="KeyOf"/>).
/// </summary>
public static class NetworkCategories
{
    public const string Domains = "contacted_domains", Ips = "contacted_ips", Urls = "contacted_urls", DroppedSha256 = "files_dropped_sha256";

    public static void FromReport(BehaviourSummary s, Report r)
    {
        foreach (var f in r.DroppedFiles.Where(f => !f.Partial)) s.Add(DroppedSha256, f.Sha256);
        if (r.Network is not { Error: null } n) return;
        foreach (var d in n.Iocs.Domains) s.Add(Domains, d);
        foreach (var ip in n.Iocs.Ips) s.Add(Ips, ip);
        foreach (var u in n.Iocs.Urls) s.Add(Urls, u);
    }

    /// <summary>CAPE's <c>network</c> section and <c>dropped</c> list (the root of report.json).</summary>
    public static void FromCape(BehaviourSummary s, JsonObject root)
    {
        foreach (var d in Items(root["dropped"])) s.Add(DroppedSha256, Str(d, "sha256"));
        if (root["network"] is not JsonObject net) return;
        foreach (var h in Items(net["hosts"])) s.Add(Ips, h is JsonValue ? Text(h) : Str(h, "ip"));
        foreach (var d in Items(net["domains"])) s.Add(Domains, Str(d, "domain"));
        foreach (var d in Items(net["dns"])) s.Add(Domains, Str(d, "request"));
        foreach (var h in Items(net["http"]))
            s.Add(Urls, Str(h, "uri") is { } uri && uri.Contains("://", StringComparison.Ordinal)
                ? uri : Join("http", Str(h, "host"), Str(h, "path")));
        foreach (var key in new[] { "http_ex", "https_ex" })
            foreach (var h in Items(net[key])) s.Add(Urls, Join(Str(h, "protocol") ?? key[..^3], Str(h, "host"), Str(h, "uri")));
    }

    /// <summary>VirusTotal's behaviour lists whose items are objects, and its relationship lists (objects with an id).</summary>
    public static void FromVirusTotal(BehaviourSummary s, string category, JsonNode? item)
    {
        switch (category)
        {
            case "dns_lookups": s.Add(Domains, Str(item, "hostname")); break;
            case "http_conversations": s.Add(Urls, Str(item, "url")); break;
            case "ip_traffic": s.Add(Ips, Str(item, "destination_ip")); break;
            case "files_dropped" or "files_written": s.Add(DroppedSha256, Str(item, "sha256")); break;
            case Domains or Ips: s.Add(category, item is JsonValue ? Text(item) : Str(item, "id")); break;
            case Urls:
                s.Add(Urls, item is JsonValue ? Text(item)
                    : Str(item?["attributes"], "url") ?? Str(item?["context_attributes"], "url") ?? Str(item, "url"));
                break;
        }
    }

    /// <summary>The comparison key of an item of <paramref name="category"/>; null: not one of these categories.</summary>
    public static Func<string, string>? KeyOf(string category) => category switch
    {
        Domains => d => d.Trim().TrimEnd('.').ToLowerInvariant(),
        Ips => ip => IPAddress.TryParse(ip.Trim(), out var a) ? a.ToString() : ip.Trim().ToLowerInvariant(),
        Urls => Url,
        DroppedSha256 => h => h.Trim().ToLowerInvariant(),
        _ => null,
    };

    /// <summary>Scheme and host case-folded, the default port dropped, the path and query as written.</summary>
    private static string Url(string u) =>
        Uri.TryCreate(u.Trim(), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? $"{uri.Scheme}://{uri.Host.ToLowerInvariant()}{(uri.IsDefaultPort ? "" : ":" + uri.Port)}{uri.PathAndQuery}"
            : u.Trim();

    private static string? Join(string scheme, string? host, string? path) =>
        string.IsNullOrEmpty(host) ? null : $"{scheme}://{host}{(path is { Length: > 0 } p ? (p.StartsWith('/') ? p : "/" + p) : "/")}";

    private static IEnumerable<JsonNode> Items(JsonNode? n) => n is JsonArray a ? a.OfType<JsonNode>() : [];

    private static string? Str(JsonNode? o, string name) => o is JsonObject obj ? Text(obj[name]) : null;

    private static string? Text(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
