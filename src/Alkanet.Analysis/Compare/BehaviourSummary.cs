using System.Text.Json;
using System.Text.Json.Nodes;
using Alkanet.Analysis.Output;

namespace Alkanet.Analysis.Compare;

/// <summary>
/// Behaviour as named lists per category, in VirusTotal's file-behaviour summary vocabulary (files_opened,
/// files_written, files_deleted, registry_keys_set, processes_created, processes_injected, mutexes_created,
/// command_executions, ...). Written by <c>alkanet report --format vt</c>; read from VirusTotal summaries, CAPE
/// reports' <c>behavior.summary</c>, and Alkanet reports.
/// </summary>
public sealed class BehaviourSummary
{
    public SortedDictionary<string, List<string>> Categories { get; } = new(StringComparer.Ordinal);

    public void Add(string category, string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return;
        if (!Categories.TryGetValue(category, out var list)) Categories[category] = list = [];
        if (!list.Contains(value!, StringComparer.Ordinal)) list.Add(value!);
    }

    /// <summary>The report's behaviour in VirusTotal's shape.</summary>
    public static BehaviourSummary FromReport(Report r)
    {
        var s = new BehaviourSummary();
        var procs = r.Processes.ToDictionary(p => p.Seq);
        foreach (var i in r.Behaviour)
        {
            switch (i.Kind)
            {
                case "file_open": s.Add("files_opened", i.Object); break;
                case "file_create": s.Add("files_opened", i.Object); s.Add("files_written",
                    i.Object); if (i.Tags.Contains("executable")) s.Add("files_dropped", i.Object); break;
                case "file_write": s.Add("files_written", i.Object); if (i.Tags.Contains("executable")) s.Add("files_dropped", i.Object); break;
                case "file_delete": s.Add("files_deleted", i.Object); break;
                case "file_rename": s.Add("files_deleted", i.Object); if (i.Detail is not null) s.Add("files_written", i.Detail); break;
                case "registry_open" or "registry_create": s.Add("registry_keys_opened", i.Object); break;
                case "registry_set": s.Add("registry_keys_set", i.Object); break;
                case "registry_delete": s.Add("registry_keys_deleted", i.Object); break;
                case "process_create": s.Add("processes_created", i.Object); if (i.Detail is not null) s.Add("command_executions", i.Detail); break;
                case "process_terminate": s.Add("processes_terminated", i.Object); break;
                case "mutex_create": s.Add("mutexes_created", i.Object); break;
                case "network_connect": s.Add("ip_traffic", i.Object); break;
                case "service_create": s.Add("services_created", i.Object); break;
                case "driver_load": s.Add("services_started", i.Object); break;
            }
        }
        foreach (var inj in r.Injections)
            if (procs.TryGetValue(inj.TargetSeq, out var t)) s.Add("processes_injected", t.Image ?? t.Name);
        NetworkCategories.FromReport(s, r);
        return s;
    }

    public string ToVirusTotalJson()
    {
        var data = new JsonObject();
        foreach (var (k, v) in Categories) data[k] = new JsonArray(v.Select(x => (JsonNode)JsonValue.Create(x)!).ToArray());
        return new JsonObject { ["data"] = data }.ToJsonString(new JsonSerializerOptions { WriteIndented = true,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    /// <summary>Reads a VirusTotal behaviour summary ({"data": {...}} or the bare attributes), a CAPE report
    /// (its behavior.summary) or an Alkanet report.</summary>
    public static BehaviourSummary Load(string path)
    {
        JsonNode? root;
        try
        {
            using var stream = Alkanet.Core.Json.LogStreams.OpenRead(path);
            root = JsonNode.Parse(stream);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: line {(ex.LineNumber ?? 0) + 1}: not JSON: {ex.Message.Split(" LineNumber:")[0]}", ex);
        }
        if (root is not JsonObject o) throw new InvalidDataException($"{path}: expected a JSON object");
        if (o["schema"]?.GetValue<string>() is { } schema && schema.StartsWith("alkanet-report/", StringComparison.Ordinal))
            return FromReport(ReportWriters.FromJson(o.ToJsonString()));
        if (o["behavior"] is JsonObject behavior)
        {
            if (behavior["summary"] is not JsonObject summary) throw new InvalidDataException($"{path}: CAPE report has no behavior.summary");
            var cape = FromCape(summary);
            NetworkCategories.FromCape(cape, o);
            return cape;
        }
        var attrs = o["data"] is JsonObject d ? d["attributes"] as JsonObject ?? d : o;
        var s = new BehaviourSummary();
        foreach (var (key, value) in attrs)
        {
            if (value is not JsonArray arr) continue;
            foreach (var item in arr)
            {
                var text = item switch
                {
                    JsonValue v when v.TryGetValue<string>(out var str) => str,
                    JsonObject obj => Pick(key, obj),
                    _ => null,
                };
                if (text is not null) s.Add(key, text);
                NetworkCategories.FromVirusTotal(s, key, item);
            }
        }
        if (s.Categories.Count == 0)
            throw new InvalidDataException($"{path}: no behaviour categories found (expected VirusTotal's files_opened, registry_keys_set, ... or " +
                $"a CAPE report)");
        return s;
    }

    /// <summary>VirusTotal lists some categories as objects: registry_keys_set [{key, value}], processes_tree, ip_traffic.</summary>
    private static string? Pick(string category, JsonObject o)
    {
        string? S(string n) => o[n] is JsonValue v && v.TryGetValue<string>(out var s) ? s : o[n]?.ToJsonString();
        return category switch
        {
            "registry_keys_set" => S("key"), // VirusTotal's key includes the value name; "value" is the data
            "ip_traffic" => S("destination_ip") is { } ip ? S("destination_port") is { } port ? $"{ip}:{port}" : ip : null,
            "files_dropped" => S("path"),
            _ => S("name") ?? S("path") ?? S("key"),
        };
    }

    private static BehaviourSummary FromCape(JsonObject summary)
    {
        var s = new BehaviourSummary();
        void Map(string cape, params string[] vt)
        {
            if (summary[cape] is not JsonArray arr) return;
            foreach (var x in arr)
                if (x is JsonValue v && v.TryGetValue<string>(out var str))
                    foreach (var cat in vt) s.Add(cat, str);
        }
        Map("files", "files_opened");
        Map("read_files", "files_opened");
        Map("write_files", "files_written");
        Map("delete_files", "files_deleted");
        Map("keys", "registry_keys_opened");
        Map("read_keys", "registry_keys_opened");
        Map("write_keys", "registry_keys_set");
        Map("delete_keys", "registry_keys_deleted");
        Map("executed_commands", "command_executions");
        Map("mutexes", "mutexes_created");
        Map("created_services", "services_created");
        Map("started_services", "services_started");
        return s;
    }
}
