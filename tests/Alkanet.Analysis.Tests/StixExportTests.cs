using System.Text.Json.Nodes;
using Alkanet.Analysis.Exports;
using Alkanet.Analysis.Output;
using Json.Schema;

namespace Alkanet.Analysis.Tests;

/// <summary><c>--format stix</c>: the bundle of each kind of report is valid against the official STIX 2.1 JSON schemas
/// (Fixtures/stix2.1-schemas, oasis-open/cti-stix2-json-schemas), object by object and as a bundle, and holds what the
/// report observed.</summary>
public sealed class StixExportTests : IDisposable
{
    private static readonly string SchemaDir = TestLogs.Fixture(Path.Combine("stix2.1-schemas", "schemas"));
    private static readonly (EvaluationOptions Options, Dictionary<string, JsonSchema> ByType, JsonSchema Bundle) Schemas = Load();
    private readonly EvidenceLog _log = new();

    public void Dispose() => _log.Dispose();

    private static (EvaluationOptions, Dictionary<string, JsonSchema>, JsonSchema) Load()
    {
        var options = new EvaluationOptions { OutputFormat = OutputFormat.List };
        var byType = new Dictionary<string, JsonSchema>(StringComparer.Ordinal);
        JsonSchema? bundle = null;
        foreach (var file in Directory.GetFiles(SchemaDir, "*.json", SearchOption.AllDirectories))
        {
            var schema = JsonSchema.FromFile(file);
            options.SchemaRegistry.Register(schema);
            var name = Path.GetFileNameWithoutExtension(file);
            byType[name] = schema;
            if (name == "bundle") bundle = schema;
        }
        return (options, byType, bundle ?? throw new FileNotFoundException("bundle.json", SchemaDir));
    }

    /// <summary>The schema's errors for <paramref name="node"/> (empty: valid).</summary>
    private static List<string> Errors(JsonSchema schema, JsonNode node)
    {
        var result = schema.Evaluate(node, Schemas.Options);
        if (result.IsValid) return [];
        return [.. (result.Details.Count > 0 ? result.Details : [result]).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} ({d.EvaluationPath}): {e.Key}: {e.Value}")).Take(20)];
    }

    /// <summary>Every object against its type's schema, then the whole bundle against bundle.json.</summary>
    private static JsonObject Valid(string json)
    {
        var bundle = JsonNode.Parse(json)!.AsObject();
        foreach (var o in bundle["objects"]!.AsArray())
        {
            var type = o!["type"]!.GetValue<string>();
            Schemas.ByType.ShouldContainKey(type);
            Errors(Schemas.ByType[type], o).ShouldBeEmpty($"{type} {o.ToJsonString()}");
        }
        Errors(Schemas.Bundle, bundle).ShouldBeEmpty();
        return bundle;
    }

    private static IEnumerable<JsonObject> Of(JsonObject bundle, string type) =>
        bundle["objects"]!.AsArray().OfType<JsonObject>().Where(o => o["type"]!.GetValue<string>() == type);

    [Fact]
    public void The_networked_runs_bundle_is_valid_and_holds_the_name_the_url_the_flows_and_indicators()
    {
        var bundle = Valid(StixBundle.Write(ExportInputs.Netprobe()));
        var analysis = Of(bundle, "malware-analysis").ShouldHaveSingleItem();
        analysis["product"]!.GetValue<string>().ShouldBe("alkanet");
        analysis["result"]!.GetValue<string>().ShouldBe("malicious"); // the high-severity Suricata alerts
        var ids = bundle["objects"]!.AsArray().Select(o => o!["id"]!.GetValue<string>()).ToHashSet();
        analysis["analysis_sco_refs"]!.AsArray().ShouldAllBe(r => ids.Contains(r!.GetValue<string>()));
        ids.ShouldContain(analysis["sample_ref"]!.GetValue<string>());

        var domain = Of(bundle, "domain-name").ShouldHaveSingleItem();
        domain["value"]!.GetValue<string>().ShouldBe("c2.alkanet-sample.test");
        var answer = domain["resolves_to_refs"]!.AsArray().ShouldHaveSingleItem()!.GetValue<string>();
        Of(bundle, "ipv4-addr").Single(a => a["id"]!.GetValue<string>() == answer)["value"]!.GetValue<string>().ShouldBe("10.13.0.1");
        Of(bundle, "url").ShouldHaveSingleItem()["value"]!.GetValue<string>().ShouldBe("http://c2.alkanet-sample.test/beacon.txt");

        var http = Of(bundle, "network-traffic").Single(t => t["extensions"] is not null);
        http["dst_port"]!.GetValue<int>().ShouldBe(80);
        http["protocols"]!.AsArray().Select(p => p!.GetValue<string>()).ShouldBe(["ipv4", "tcp", "http"]);
        var request = http["extensions"]!["http-request-ext"]!;
        request["request_method"]!.GetValue<string>().ShouldBe("get");
        request["request_value"]!.GetValue<string>().ShouldBe("/beacon.txt");
        request["request_header"]!["User-Agent"]![0]!.GetValue<string>().ShouldBe("alkanet-netprobe/1.0");

        Of(bundle, "indicator").Select(i => i["pattern"]!.GetValue<string>()).Order().ShouldBe([
            "[domain-name:value = 'c2.alkanet-sample.test']", "[ipv4-addr:value = '192.168.77.1']", "[ipv4-addr:value = '8.8.8.8']",
            "[url:value = 'http://c2.alkanet-sample.test/beacon.txt']"]);
        Of(bundle, "process").ShouldContain(p => p["command_line"] != null && p["command_line"]!.GetValue<string>() == "/sample/netprobe");
    }

    [Fact]
    public void The_windows_reports_bundle_is_valid_with_processes_mutexes_and_registry_keys_in_full_hive_names()
    {
        var report = ExportInputs.Windows();
        var bundle = Valid(StixBundle.Write(report));
        Of(bundle, "mutex").ShouldContain(m => m["name"]!.GetValue<string>().Contains("evilmutex"));
        var keys = Of(bundle, "windows-registry-key").ToList();
        keys.ShouldNotBeEmpty();
        keys.ShouldAllBe(k => k["key"]!.GetValue<string>().StartsWith("HKEY_"));
        keys.ShouldContain(k => k["values"] != null && k["key"]!.GetValue<string>().EndsWith("\\CurrentVersion\\Run"));
        var processes = Of(bundle, "process").ToList();
        var sample = processes.Single(p => p["pid"]!.GetValue<long>() == (long)report.Processes.Single(x => x.Role == "sample").ProcessId);
        sample["child_refs"].ShouldNotBeNull();
        Of(bundle, "malware-analysis").Single()["result"]!.GetValue<string>().ShouldBe("malicious");
        // No network.json: the connect endpoints are the network observables.
        Of(bundle, "network-traffic").ShouldAllBe(t => t["dst_ref"] != null);
    }

    [Fact]
    public void Dropped_files_carry_their_hashes_and_a_partial_one_none()
    {
        var report = ExportInputs.Dropped(_log);
        var bundle = Valid(StixBundle.Write(report));
        var files = Of(bundle, "file").ToList();
        var whole = report.DroppedFiles.Single(f => f.Path == "/tmp/payload.sh");
        var script = files.Single(f => f["name"]!.GetValue<string>() == "payload.sh");
        script["hashes"]!["SHA-256"]!.GetValue<string>().ShouldBe(whole.Sha256);
        script["hashes"]!["MD5"]!.GetValue<string>().ShouldBe(whole.Md5);
        script["size"]!.GetValue<long>().ShouldBe(whole.Size);
        var dir = Of(bundle, "directory").Single(d => d["id"]!.GetValue<string>() == script["parent_directory_ref"]!.GetValue<string>());
        dir["path"]!.GetValue<string>().ShouldBe("/tmp");
        var big = files.Single(f => f["name"]!.GetValue<string>() == "big.bin");
        big["hashes"].ShouldBeNull();
        report.DroppedFiles.Single(f => f.Path == "/tmp/big.bin").Partial.ShouldBeTrue();
    }

    [Fact]
    public void Injected_memory_is_an_artifact_with_its_bytes_and_hash_named_by_the_analysis()
    {
        var code = "\x90\x90INJECTED-INTO-ANOTHER-PROCESS"u8.ToArray();
        _log.Call("process_vm_writev", code.Length.ToString("x"),
            $$"""{"target_pid": "63", "base_address": "601000", "size": "{{code.Length:x}}", "data": "{{Convert.ToBase64String(code)}}"}""");
        var report = _log.Report();
        var bundle = Valid(StixBundle.Write(report));
        var artifact = Of(bundle, "artifact").ShouldHaveSingleItem();
        Convert.FromBase64String(artifact["payload_bin"]!.GetValue<string>()).ShouldBe(code);
        artifact["hashes"]!["SHA-256"]!.GetValue<string>().ShouldBe(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(code)));
        artifact["mime_type"]!.GetValue<string>().ShouldBe("application/octet-stream");
        var refs = Of(bundle, "malware-analysis").Single()["analysis_sco_refs"]!.AsArray().Select(n => n!.GetValue<string>());
        refs.ShouldContain(artifact["id"]!.GetValue<string>());

        // A report read back from report.json has no bytes to give: no artifact, the bundle still valid.
        Of(Valid(StixBundle.Write(ReportWriters.FromJson(ReportWriters.ToJson(report)))), "artifact").ShouldBeEmpty();
    }

    [Fact]
    public void The_schemas_refuse_a_broken_bundle()
    {
        // The validation can fail: a flow without its protocols and a file with neither hashes nor name are refused.
        var bundle = JsonNode.Parse(StixBundle.Write(ExportInputs.Netprobe()))!.AsObject();
        var flow = Of(bundle, "network-traffic").First();
        flow.Remove("protocols");
        Errors(Schemas.ByType["network-traffic"], flow).ShouldNotBeEmpty();
        Errors(Schemas.Bundle, bundle).ShouldNotBeEmpty();
        var nameless = """{"type": "file", "spec_version": "2.1", "id": "file--7a1a6d8a-3b1e-5f4c-9a5f-1c2d3e4f5a6b"}""";
        Errors(Schemas.ByType["file"], JsonNode.Parse(nameless)!)
            .ShouldNotBeEmpty();
    }

    [Fact]
    public void Observable_ids_are_uuidv5_in_the_stix_namespace()
    {
        // RFC 4122's example (DNS namespace, www.example.com) and the STIX 2.1 specification's domain-name example.com.
        StixIds.UuidV5(new Guid("6ba7b810-9dad-11d1-80b4-00c04fd430c8"), "www.example.com")
            .ShouldBe(new Guid("2ed6657d-e927-568b-95e1-2665a8aea6a2"));
        StixIds.Of("domain-name", new JsonObject { ["value"] = "example.com" }).ShouldBe("domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7");
        StixIds.Canonical(new JsonObject { ["b"] = 1, ["a"] = new JsonObject { ["d"] = "x", ["c"] = "y" } })
            .ShouldBe("""{"a":{"c":"y","d":"x"},"b":1}""");
    }
}
