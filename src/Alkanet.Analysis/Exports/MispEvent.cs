using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Alkanet.Analysis.Model;
using Alkanet.Analysis.Output;

namespace Alkanet.Analysis.Exports;

/// <summary>
/// <c>alkanet report --format misp</c>: the report as one MISP event in the MISP core format (misp-rfc
/// misp-core-format, draft-20): attributes for the network IOCs (domain, url, ip-dst), mutexes and registry values set;
/// objects built on the MISP object templates (misp-objects: file, process, domain-ip, http-request,
/// network-connection) for the dropped files with their hashes (none for a partial file: its hash is not the file's), the
/// sample's processes, DNS answers, HTTP requests and flows; the findings' ATT&amp;CK techniques as MISP galaxy tags.
/// Instance-assigned fields (<c>id</c>, <c>event_id</c>, <c>org_id</c>, <c>orgc_id</c>) are left to the MISP that imports it.
/// </summary>
public static class MispEvent
{
    /// <summary>The object templates used: name → (template uuid, version, meta-category, description), as misp-objects'
    /// objects/NAME/definition.json gives them.</summary>
    internal static readonly Dictionary<string, (string Uuid, int Version, string MetaCategory, string Description)> Templates = new()
    {
        ["file"] = ("688c46fb-5edb-40a3-8273-1af7923e2215", 25, "file", "File object describing a file with meta-information"),
        ["process"] = ("02aeef94-ac23-455c-addb-731757ceafb5", 10, "misc", "Object describing a system process."),
        ["domain-ip"] = ("43b3b146-77eb-4931-b4cc-b66c60f28734", 11, "network",
            "A domain/hostname and IP address seen as a tuple in a specific time frame."),
        ["http-request"] = ("b4a8d163-8110-4239-bfcf-e08f3a9fdf7b", 4, "network", "A single HTTP request header"),
        ["network-connection"] = ("af16764b-f8e5-4603-9de1-de34d272f80b", 7, "network", "A local or remote network connection."),
    };

    public static string Write(Report r, DateTimeOffset? now = null)
    {
        var time = now ?? DateTimeOffset.UtcNow;
        var stamp = time.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var attributes = new JsonArray();
        var objects = new JsonArray();
        JsonObject Attr(string type, string category, string value, bool ids, string? relation = null, string? comment = null)
        {
            var a = new JsonObject
            {
                ["uuid"] = Guid.NewGuid().ToString("D"), ["type"] = type, ["category"] = category, ["value"] = value, ["to_ids"] = ids,
                ["distribution"] = "5", ["timestamp"] = stamp, ["deleted"] = false, ["disable_correlation"] = false,
            };
            if (relation is not null) a["object_relation"] = relation;
            if (comment is not null) a["comment"] = comment;
            return a;
        }
        void Object(string name, string? comment, params (string Relation, string Type, string Category, string? Value, bool Ids)[] attrs)
        {
            var t = Templates[name];
            var list = new JsonArray();
            foreach (var (rel, type, cat, value, ids) in attrs)
                if (!string.IsNullOrEmpty(value)) list.Add(Attr(type, cat, value, ids, rel));
            if (list.Count == 0) return;
            var o = new JsonObject
            {
                ["uuid"] = Guid.NewGuid().ToString("D"), ["name"] = name, ["meta-category"] = t.MetaCategory, ["description"] = t.Description,
                ["template_uuid"] = t.Uuid, ["template_version"] = t.Version.ToString(CultureInfo.InvariantCulture), ["timestamp"] = stamp,
                ["distribution"] = "5", ["sharing_group_id"] = "0", ["deleted"] = false, ["Attribute"] = list,
            };
            if (comment is not null) o["comment"] = comment;
            objects.Add(o);
        }

        const string Dropped = "Artifacts dropped", Net = "Network activity", Other = "Other";
        foreach (var f in r.DroppedFiles)
        {
            var hashes = !f.Partial;
            var state = (f.Deleted ? "deleted during the run; " : "") + (f.Partial ? "partial: " + string.Join("; ", f.PartialReasons) : "complete");
            Object("file", $"Dropped by process #{f.WriterSeq}; records {string.Join(", ", f.Records.Take(8))}",
                ("filename", "filename", Dropped, ExportPaths.FileName(f.Path), false), ("fullpath", "text", Other, f.Path, false),
                ("size-in-bytes", "size-in-bytes", Other, f.Size.ToString(CultureInfo.InvariantCulture), false),
                ("sha256", "sha256", Dropped, hashes ? f.Sha256 : null, true), ("sha1", "sha1", Dropped, hashes ? f.Sha1 : null, true),
                ("md5", "md5", Dropped, hashes ? f.Md5 : null, true), ("magic", "text", Other, f.Type, false), ("text", "text", Other, state, false));
        }
        var shown = ReportWriters.Relevant(r);
        var bySeq = r.Processes.ToDictionary(p => p.Seq);
        foreach (var p in r.Processes.Where(p => shown.Contains(p.Seq)))
        {
            var parent = p.ParentSeq is { } ps && bySeq.TryGetValue(ps, out var pp) ? pp : null;
            Object("process", $"#{p.Seq} ({p.Role})",
                ("name", "text", Other, p.Name, false), ("pid", "text", Other, p.ProcessId.ToString(CultureInfo.InvariantCulture), false),
                ("image", "filename", Dropped, p.Image, false), ("command-line", "text", Other, p.CommandLine, false),
                ("parent-pid", "text", Other, parent?.ProcessId.ToString(CultureInfo.InvariantCulture), false),
                ("parent-process-name", "text", Other, parent?.Name, false));
        }
        foreach (var i in r.Behaviour)
        {
            switch (i.Kind)
            {
                case BehaviourKinds.MutexCreate: attributes.Add(Attr("mutex", Dropped, i.Object, false)); break;
                case BehaviourKinds.RegistrySet:
                    var category = i.Tags.Contains("autostart") ? "Persistence mechanism" : Dropped;
                    attributes.Add(i.Detail is { Length: > 0 } data ? Attr("regkey|value", category, $"{i.Object}|{data}", false)
                        : Attr("regkey", category, i.Object, false));
                    break;
                case BehaviourKinds.NetworkConnect when r.Network is null && IPEndPoint.TryParse(i.Object, out var ep):
                    attributes.Add(Attr("ip-dst|port", Net, $"{ep.Address}|{ep.Port}", false, comment: "connect endpoint"));
                    break;
            }
        }
        if (r.Network is { Error: null } n)
        {
            foreach (var d in n.Iocs.Domains) attributes.Add(Attr("domain", Net, d, true));
            foreach (var u in n.Iocs.Urls) attributes.Add(Attr("url", Net, u, true));
            foreach (var ip in n.Iocs.Ips) attributes.Add(Attr("ip-dst", Net, ip, true, comment: "contacted by literal address"));
            foreach (var d in n.Dns.Where(d => d.Answers.Count > 0))
                Object("domain-ip", $"DNS {d.Type}", [("domain", "domain", Net, d.Name, false),
                    .. d.Answers.Where(a => IPAddress.TryParse(a, out _)).Select(a => ("ip", "ip-dst", Net, (string?)a, false))]);
            foreach (var h in n.Http)
                Object("http-request", h.Status is { } st ? $"status {st}" : null,
                    ("method", "http-method", Net, h.Method, false), ("host", "hostname", Net, h.Host, false), ("uri", "uri", Net, h.Uri, false),
                    ("url", "url", Net, h.Url, false), ("user-agent", "user-agent", Net, h.UserAgent, false),
                    ("ip-dst", "ip-dst", Net, Host(h.Server), false));
            foreach (var f in n.Flows)
                Object("network-connection", f.Processes.Count > 0 ? "opened by " + string.Join(", ", f.Processes) : null,
                    ("ip-src", "ip-src", Net, f.Src, false), ("ip-dst", "ip-dst", Net, f.Dst, false),
                    ("src-port", "port", Net, f.SrcPort.ToString(CultureInfo.InvariantCulture), false),
                    ("dst-port", "port", Net, f.DstPort.ToString(CultureInfo.InvariantCulture), false),
                    ("layer3-protocol", "text", Other, "IP", false),
                    ("layer4-protocol", "text", Other, f.Proto.ToUpperInvariant(), false),
                    ("layer7-protocol", "text", Other, f.App is { Length: > 0 } app && app != "failed" ? app.ToUpperInvariant() : null, false));
        }

        var tags = new JsonArray();
        foreach (var t in r.Findings.SelectMany(f => f.Attack).DistinctBy(t => t.Id))
            tags.Add(new JsonObject { ["name"] = $"misp-galaxy:mitre-attack-pattern=\"{t.Name} - {t.Id}\"" });
        var worst = r.Findings.Select(f => ReportBuilder.SeverityRank(f.Severity)).DefaultIfEmpty(-1).Max();
        var names = string.Join(", ", r.Sample.Names.Select(s => s.Name));
        var evt = new JsonObject
        {
            ["uuid"] = Guid.NewGuid().ToString("D"),
            ["info"] = Clip($"Alkanet analysis of {(names.Length > 0 ? names : r.Sample.Spec)}: {r.Findings.Count} finding(s)", 256),
            ["date"] = time.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), ["timestamp"] = stamp,
            ["published"] = false, ["publish_timestamp"] = "0",
            ["threat_level_id"] = worst switch { >= 3 => "1", 2 => "2", 0 or 1 => "3", _ => "4" },
            ["analysis"] = "2", ["distribution"] = "0", ["sharing_group_id"] = "0",
            ["Attribute"] = attributes, ["Object"] = objects, ["Tag"] = tags,
        };
        return new JsonObject { ["Event"] = evt }.ToJsonString(new JsonSerializerOptions
        {
            WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        });
    }

    private static string? Host(string endpoint) => IPEndPoint.TryParse(endpoint, out var ep) ? ep.Address.ToString() : null;


    private static string Clip(string s, int n) => (s.Length <= n ? s : s[..(n - 1)] + "…").Replace('\n', ' ');
}
