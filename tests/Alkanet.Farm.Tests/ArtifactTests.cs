using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Alkanet.Farm.Tests.Servers;

namespace Alkanet.Farm.Tests;

/// <summary>Capture and YARA options reach the run, the run's captured files are stored by SHA-256 and served by it
/// (only the task's own), and the options are part of what reuse compares. (The test runner stands in for
/// <c>alkanet run</c>; <see cref="LiveDropperTests"/> does the same with a real guest.)</summary>
[Collection(FarmCollection.Name)]
public sealed class ArtifactTests(FarmServers servers)
{
    private const string Rules = "rule Farm_Test { strings: $a = \"captured by the farm\" condition: $a }\n";

    [Fact]
    public async Task Captured_files_are_served_by_sha256_and_the_options_reach_the_run()
    {
        using var farm = new TestFarm(servers);
        farm.StartWorker(slots: 1);
        var dropped = "captured by the farm, byte for byte";
        var script = TestFarm.Script($"records 200\ndrop {dropped}\n");
        var fields = new Dictionary<string, string> { ["capture"] = "all" };
        var (status, body) = await farm.SubmitAsync(script, fields: fields, files: [("yara", "mine.yar", Encoding.UTF8.GetBytes(Rules))]);
        status.ShouldBe(HttpStatusCode.Created, body.ToString());
        var id = body.GetProperty("id").GetInt64();
        var d = (await farm.WaitEndedAsync([id], TimeSpan.FromMinutes(3)))[0];
        d.Task.State.ShouldBe("done", d.Task.Reason);
        d.Task.Capture.ShouldBe("all");
        d.Task.YaraName.ShouldBe("mine.yar");
        var rulesSha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Rules)));
        d.Task.YaraSha256.ShouldBe(rulesSha);

        // what the worker passed to the run: --capture all and the very rules submitted
        using (var report = JsonDocument.Parse(await farm.Http.GetStringAsync($"api/tasks/{id}/report?format=json")))
        {
            report.RootElement.GetProperty("capture").GetString().ShouldBe("all");
            report.RootElement.GetProperty("yara").GetString().ShouldBe(rulesSha);
        }

        var sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(dropped)));
        using var list = JsonDocument.Parse(await farm.Http.GetStringAsync($"api/tasks/{id}/artifacts"));
        var files = list.RootElement.GetProperty("artifacts").EnumerateArray().ToList();
        var file = files.Single(f => f.GetProperty("name").GetString() == $"files/{sha}");
        file.GetProperty("sha256").GetString().ShouldBe(sha);
        file.GetProperty("url").GetString().ShouldBe($"/api/tasks/{id}/artifacts/{sha}");
        list.RootElement.GetProperty("captured").GetProperty("files")[0].GetProperty("sha256").GetString().ShouldBe(sha);
        var bytes = await farm.Http.GetByteArrayAsync(file.GetProperty("url").GetString()!.TrimStart('/'));
        Convert.ToHexStringLower(SHA256.HashData(bytes)).ShouldBe(sha);
        Encoding.UTF8.GetString(bytes).ShouldBe(dropped);

        // only the task's own files: the sample is a stored blob too, but not one of the run's files
        var sampleSha = Convert.ToHexStringLower(SHA256.HashData(script));
        (await farm.Http.GetAsync($"api/tasks/{id}/artifacts/{sampleSha}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await farm.Http.GetAsync($"api/tasks/{id}/artifacts/files%2F{sha}")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        // reuse compares capture and rules too: the same ones reuse, other rules are another result
        var reuse = new Dictionary<string, string> { ["capture"] = "all", ["reuse"] = "true" };
        var (same, sameBody) = await farm.SubmitAsync(script, fields: reuse, files: [("yara", "renamed.yar", Encoding.UTF8.GetBytes(Rules))]);
        same.ShouldBe(HttpStatusCode.OK, sameBody.ToString());
        var reused = sameBody.GetProperty("id").GetInt64();
        var reusedBytes = await farm.Http.GetByteArrayAsync($"api/tasks/{reused}/artifacts/{sha}");
        reusedBytes.ShouldBe(bytes);
        var otherRules = Encoding.UTF8.GetBytes(Rules.Replace("Farm_Test", "Farm_Other", StringComparison.Ordinal));
        (await farm.SubmitAsync(script, fields: reuse, files: [("yara", "mine.yar", otherRules)])).Status.ShouldBe(HttpStatusCode.Created);
        var noCapture = new Dictionary<string, string> { ["capture"] = "none", ["reuse"] = "true" };
        (await farm.SubmitAsync(script, fields: noCapture, files: [("yara", "mine.yar", Encoding.UTF8.GetBytes(Rules))]))
            .Status.ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task A_task_that_is_not_done_has_no_artifacts_yet()
    {
        using var farm = new TestFarm(servers);
        var id = await farm.SubmitOkAsync("records 10\n");
        var r = await farm.Http.GetAsync($"api/tasks/{id}/artifacts");
        r.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await r.Content.ReadAsStringAsync()).ShouldContain("is queued");
        (await farm.Http.GetAsync($"api/tasks/{id + 1}/artifacts")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }
}
