using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Alkanet.Farm.Storage;
using Alkanet.Farm.Tests.Servers;
using Alkanet.Vmm.Guest;

namespace Alkanet.Farm.Tests;

/// <summary>The dropper sample through the whole farm with the real <c>alkanet run</c>: a QEMU guest traced from the
/// hypervisor, its records streamed into PostgreSQL, its report handed in and served.</summary>
[Collection(FarmCollection.Name)]
public sealed class LiveDropperTests(FarmServers servers)
{
    [Fact]
    public async Task The_dropper_submitted_to_the_farm_is_traced_in_a_guest_and_its_report_served()
    {
        LivePrerequisites.Require(ovmf: false);
        using var farm = new TestFarm(servers);
        farm.StartWorker(slots: 1, realRun: true);
        var source = File.ReadAllBytes(Path.Combine(AlkanetPaths.RepositoryRoot()!, "samples", "dropper", "dropper.c"));
        var fields = new Dictionary<string, string> { ["timeout"] = "3m", ["capture"] = "sample" };
        var rules = Encoding.UTF8.GetBytes(PayloadRule);
        var (status, body) = await farm.SubmitAsync(source, "dropper.c", fields, files: [("yara", "payload.yar", rules)]);
        status.ShouldBe(System.Net.HttpStatusCode.Created, body.ToString());
        var id = body.GetProperty("id").GetInt64();

        var d = (await farm.WaitEndedAsync([id], TimeSpan.FromMinutes(15)))[0];

        d.Task.State.ShouldBe(TaskStates.Done, d.Task.Reason);
        var run = farm.StoredRun(d.Task.RunId!);
        run.State.ShouldBe("Complete");
        run.Count.ShouldBeGreaterThan(100);
        (run.First, run.Last, run.Distinct).ShouldBe((0L, run.Count - 1, run.Count), "gap-free, each number once");
        using var report = JsonDocument.Parse(await farm.Http.GetStringAsync($"api/tasks/{id}/report?format=json"));
        report.RootElement.GetRawText().ShouldContain("dropped-executable");
        (await farm.Http.GetStringAsync($"api/tasks/{id}/report?format=md")).ShouldContain("/tmp/payload.sh");
        d.Artifacts.Select(a => a.Name).ShouldContain("run.json");
        var trace = await farm.Http.GetStringAsync($"api/tasks/{id}/trace");
        trace.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe((int)run.Count);

        // --capture sample: the dropped script, rebuilt from the guest's writes, served by its exact SHA-256
        var payload = Encoding.UTF8.GetBytes("#!/bin/sh\necho payload-ran > /tmp/payload.out\n"); // samples/dropper/dropper.c's body
        var sha = Convert.ToHexStringLower(SHA256.HashData(payload));
        using var list = JsonDocument.Parse(await farm.Http.GetStringAsync($"api/tasks/{id}/artifacts"));
        list.RootElement.GetProperty("artifacts").EnumerateArray().Select(a => a.GetProperty("name").GetString()).ShouldContain($"files/{sha}");
        list.RootElement.GetProperty("captured").GetProperty("files").EnumerateArray()
            .ShouldContain(f => f.GetProperty("sha256").GetString() == sha && f.GetProperty("path").GetString() == "/tmp/payload.sh");
        (await farm.Http.GetByteArrayAsync($"api/tasks/{id}/artifacts/{sha}")).ShouldBe(payload);
        // --yara: the submitted rule matched the dropped file, a finding of the report
        report.RootElement.GetRawText().ShouldContain("yara:Farm_Dropper_Payload");
        // a format the run did not write, rendered from its report.json by ReportFormats
        using var vt = JsonDocument.Parse(await farm.Http.GetStringAsync($"api/tasks/{id}/report?format=vt"));
        vt.RootElement.ValueKind.ShouldBe(JsonValueKind.Object);
    }

    private const string PayloadRule = "rule Farm_Dropper_Payload { strings: $a = \"echo payload-ran\" condition: $a }\n";
}
