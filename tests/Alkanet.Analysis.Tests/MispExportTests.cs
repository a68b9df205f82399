using System.Text.Json.Nodes;
using Alkanet.Analysis.Exports;

namespace Alkanet.Analysis.Tests;

/// <summary><c>--format misp</c>: the event follows the MISP core format (the RFC's required fields and its valid
/// category/type pairs, Fixtures/misp/core-format-categories.json) and each object the misp-objects template it names
/// (Fixtures/misp/objects/NAME/definition.json: uuid, version, meta-category, relations and their types, requiredOneOf,
/// single-valued relations once).</summary>
public sealed class MispExportTests : IDisposable
{
    private static readonly Dictionary<string, HashSet<string>> TypesByCategory = LoadCategories();
    private readonly EvidenceLog _log = new();

    public void Dispose() => _log.Dispose();

    private static Dictionary<string, HashSet<string>> LoadCategories() =>
        JsonNode.Parse(File.ReadAllText(TestLogs.Fixture(Path.Combine("misp", "core-format-categories.json"))))!["categories"]!.AsObject()
            .ToDictionary(c => c.Key, c => c.Value!.AsArray().Select(t => t!.GetValue<string>()).ToHashSet(StringComparer.Ordinal));

    private static JsonObject Definition(string name) =>
        JsonNode.Parse(File.ReadAllText(TestLogs.Fixture(Path.Combine("misp", "objects", name, "definition.json"))))!.AsObject();

    /// <summary>Checks the event against the RFC and the templates; returns it.</summary>
    private static JsonObject Valid(string json)
    {
        var evt = JsonNode.Parse(json)!["Event"]!.AsObject();
        foreach (var field in new[] { "uuid", "info", "date", "timestamp", "publish_timestamp", "threat_level_id", "analysis", "distribution" })
            evt[field].ShouldBeAssignableTo<JsonValue>($"Event.{field}")!.GetValue<string>().ShouldNotBeNull();
        evt["published"]!.GetValue<bool>().ShouldBeFalse();
        evt["info"]!.GetValue<string>().Length.ShouldBeLessThanOrEqualTo(256);
        evt["date"]!.GetValue<string>().ShouldMatch(@"^\d{4}-\d{2}-\d{2}$");
        new[] { "1", "2", "3", "4" }.ShouldContain(evt["threat_level_id"]!.GetValue<string>());
        Guid.TryParse(evt["uuid"]!.GetValue<string>(), out _).ShouldBeTrue();
        foreach (var a in evt["Attribute"]!.AsArray()) Attribute(a!.AsObject(), null);
        foreach (var o in evt["Object"]!.AsArray())
        {
            var obj = o!.AsObject();
            var name = obj["name"]!.GetValue<string>();
            var def = Definition(name);
            obj["template_uuid"]!.GetValue<string>().ShouldBe(def["uuid"]!.GetValue<string>(), name);
            obj["template_version"]!.GetValue<string>().ShouldBe(def["version"]!.ToJsonString(), name);
            obj["meta-category"]!.GetValue<string>().ShouldBe(def["meta-category"]!.GetValue<string>(), name);
            obj["description"]!.GetValue<string>().ShouldBe(def["description"]!.GetValue<string>(), name);
            obj["deleted"]!.GetValue<bool>().ShouldBeFalse();
            var relations = obj["Attribute"]!.AsArray().Select(a => Attribute(a!.AsObject(), def)).ToList();
            relations.ShouldNotBeEmpty();
            if (def["requiredOneOf"] is JsonArray oneOf)
                relations.ShouldContain(r => oneOf.Any(x => x!.GetValue<string>() == r), $"{name}: one of {oneOf.ToJsonString()}");
            if (def["required"] is JsonArray required)
                foreach (var r in required) relations.ShouldContain(r!.GetValue<string>(), name);
            foreach (var g in relations.GroupBy(r => r).Where(g => g.Count() > 1))
                (def["attributes"]![g.Key]!["multiple"]?.GetValue<bool>() ?? false).ShouldBeTrue($"{name}.{g.Key} is single-valued");
        }
        return evt;
    }

    /// <summary>One attribute: the RFC's required fields and category/type pair; in an object, its relation in the template
    /// with the template's type (and category, when the template lists them). Returns the relation.</summary>
    private static string Attribute(JsonObject a, JsonObject? def)
    {
        var type = a["type"]!.GetValue<string>();
        var category = a["category"]!.GetValue<string>();
        TypesByCategory.ShouldContainKey(category);
        TypesByCategory[category].ShouldContain(type, $"{category}/{type}");
        a["value"]!.GetValue<string>().ShouldNotBeNullOrEmpty();
        a["to_ids"]!.GetValue<bool>();
        a["deleted"]!.GetValue<bool>().ShouldBeFalse();
        Guid.TryParse(a["uuid"]!.GetValue<string>(), out _).ShouldBeTrue();
        new[] { "0", "1", "2", "3", "4", "5" }.ShouldContain(a["distribution"]!.GetValue<string>());
        long.TryParse(a["timestamp"]!.GetValue<string>(), out _).ShouldBeTrue();
        if (def is null) return "";
        var relation = a["object_relation"]!.GetValue<string>();
        var spec = def["attributes"]![relation].ShouldNotBeNull($"{def["name"]}.{relation}");
        type.ShouldBe(spec["misp-attribute"]!.GetValue<string>(), $"{def["name"]}.{relation}");
        if (spec["categories"] is JsonArray categories) categories.Select(c => c!.GetValue<string>()).ShouldContain(category);
        return relation;
    }

    private static IEnumerable<JsonObject> Objects(JsonObject evt, string name) =>
        evt["Object"]!.AsArray().OfType<JsonObject>().Where(o => o["name"]!.GetValue<string>() == name);

    private static string? Value(JsonObject obj, string relation) => obj["Attribute"]!.AsArray().OfType<JsonObject>()
        .FirstOrDefault(a => a["object_relation"]!.GetValue<string>() == relation)?["value"]!.GetValue<string>();

    private static List<string> Attributes(JsonObject evt, string type) =>
        [.. evt["Attribute"]!.AsArray().OfType<JsonObject>().Where(a => a["type"]!.GetValue<string>() == type)
            .Select(a => a["value"]!.GetValue<string>())];

    [Fact]
    public void The_networked_runs_event_has_the_iocs_as_attributes_and_dns_http_and_flows_as_objects()
    {
        var evt = Valid(MispEvent.Write(ExportInputs.Netprobe()));
        Attributes(evt, "domain").ShouldBe(["c2.alkanet-sample.test"]);
        Attributes(evt, "url").ShouldBe(["http://c2.alkanet-sample.test/beacon.txt"]);
        Attributes(evt, "ip-dst").Order().ShouldBe(["192.168.77.1", "8.8.8.8"]);
        evt["Attribute"]!.AsArray().Where(a => a!["type"]!.GetValue<string>() == "domain").ShouldAllBe(a => a!["to_ids"]!.GetValue<bool>());
        var dns = Objects(evt, "domain-ip").ShouldHaveSingleItem();
        (Value(dns, "domain"), Value(dns, "ip")).ShouldBe(("c2.alkanet-sample.test", "10.13.0.1"));
        var http = Objects(evt, "http-request").ShouldHaveSingleItem();
        (Value(http, "method"), Value(http, "uri"), Value(http, "user-agent")).ShouldBe(("GET", "/beacon.txt", "alkanet-netprobe/1.0"));
        Objects(evt, "network-connection").ShouldContain(c => Value(c, "ip-dst") == "8.8.8.8" && Value(c, "dst-port") == "80");
        Objects(evt, "process").ShouldContain(p => Value(p, "name") == "netprobe" && Value(p, "command-line") == "/sample/netprobe");
        evt["threat_level_id"]!.GetValue<string>().ShouldBe("1");
    }

    [Fact]
    public void The_windows_event_has_mutexes_registry_values_and_attack_tags()
    {
        var report = ExportInputs.Windows();
        var evt = Valid(MispEvent.Write(report));
        Attributes(evt, "mutex").ShouldContain(m => m.Contains("evilmutex"));
        Attributes(evt, "regkey|value").ShouldContain(v => v.Contains("\\CurrentVersion\\Run\\"));
        var tags = evt["Tag"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()).ToList();
        tags.ShouldContain(t => t.StartsWith("misp-galaxy:mitre-attack-pattern=\"") && t.EndsWith(" - T1547.001\""));
    }

    [Fact]
    public void Dropped_files_are_file_objects_with_hashes_and_a_partial_one_says_so_without_them()
    {
        var report = ExportInputs.Dropped(_log);
        var evt = Valid(MispEvent.Write(report));
        var files = Objects(evt, "file").ToList();
        var script = files.Single(f => Value(f, "filename") == "payload.sh");
        var whole = report.DroppedFiles.Single(f => f.Path == "/tmp/payload.sh");
        (Value(script, "sha256"), Value(script, "sha1"), Value(script, "md5")).ShouldBe((whole.Sha256, whole.Sha1, whole.Md5));
        Value(script, "fullpath").ShouldBe("/tmp/payload.sh");
        var big = files.Single(f => Value(f, "filename") == "big.bin");
        Value(big, "sha256").ShouldBeNull();
        Value(big, "text")!.ShouldContain("partial");
    }
}
