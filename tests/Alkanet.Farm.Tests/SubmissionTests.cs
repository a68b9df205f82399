using System.Net;
using System.Text;
using Alkanet.Farm.Queue;
using Alkanet.Farm.Tests.Servers;

namespace Alkanet.Farm.Tests;

[Collection(FarmCollection.Name)]
public sealed class SubmissionTests(FarmServers servers)
{
    [Fact]
    public async Task Bad_submissions_are_refused_with_the_reason_and_nothing_is_queued()
    {
        using var farm = new TestFarm(servers, maxSampleBytes: 4096);
        var ok = TestFarm.Script("records 10\n");
        async Task Refused(HttpStatusCode status, string reason, Task<(HttpStatusCode Status, System.Text.Json.JsonElement Body)> call)
        {
            var (s, body) = await call;
            s.ShouldBe(status, body.ToString());
            body.GetProperty("error").GetString()!.ShouldContain(reason);
        }
        await Refused(HttpStatusCode.Unauthorized, "token is missing", farm.SubmitAsync(ok, token: null));
        await Refused(HttpStatusCode.Forbidden, "token is wrong", farm.SubmitAsync(ok, token: "not-the-token"));
        await Refused(HttpStatusCode.BadRequest, "empty", farm.SubmitAsync([]));
        await Refused(HttpStatusCode.RequestEntityTooLarge, "limit", farm.SubmitAsync(new byte[5000]));
        await Refused(HttpStatusCode.BadRequest, "unknown guest kind 'windows-xp'", farm.SubmitAsync(ok, fields: Opt("kind", "windows-xp")));
        await Refused(HttpStatusCode.BadRequest, "option 'timeout'", farm.SubmitAsync(ok, fields: Opt("timeout", "-5s")));
        await Refused(HttpStatusCode.BadRequest, "option 'timeout'", farm.SubmitAsync(ok, fields: Opt("timeout", "99999m")));
        await Refused(HttpStatusCode.BadRequest, "option 'priority'", farm.SubmitAsync(ok, fields: Opt("priority", "urgent")));
        await Refused(HttpStatusCode.BadRequest, "option 'network'", farm.SubmitAsync(ok, fields: Opt("network", "maybe")));
        await Refused(HttpStatusCode.BadRequest, "option 'tags'", farm.SubmitAsync(ok, fields: Opt("tags", "a b")));
        await Refused(HttpStatusCode.BadRequest, "option 'capture'", farm.SubmitAsync(ok, fields: Opt("capture", "everything")));
        await Refused(HttpStatusCode.BadRequest, "option 'yara': the rules go in a file part", farm.SubmitAsync(ok, fields: Opt("yara", "rules")));
        await Refused(HttpStatusCode.BadRequest, "unknown option 'suricata'", farm.SubmitAsync(ok, fields: Opt("suricata", "rules")));
        await Refused(HttpStatusCode.BadRequest, "option 'yara': the rules file is empty", farm.SubmitAsync(ok, files: [("yara", "empty.yar", [])]));
        await Refused(HttpStatusCode.BadRequest, "the field 'extra'", farm.SubmitAsync(ok, files: [("extra", "x.bin", [1])]));
        // yara's own message, naming the uploaded file and the line: nothing reaches a worker that would fail every attempt
        var (badStatus, bad) = await farm.SubmitAsync(ok, files: [("yara", "broken.yar", Encoding.UTF8.GetBytes(BrokenRules))]);
        badStatus.ShouldBe(HttpStatusCode.BadRequest, bad.ToString());
        bad.GetProperty("error").GetString()!.ShouldSatisfyAllConditions(
            e => e.ShouldContain("option 'yara': the rules do not compile"), e => e.ShouldContain("broken.yar(5): undefined string \"$missing\""),
            e => e.ShouldNotContain("/tmp/"));
        await Refused(HttpStatusCode.UnsupportedMediaType, "multipart/form-data",
            farm.SendAsync(new StringContent("{\"sample\":\"x\"}", Encoding.UTF8, "application/json")));
        using (var noFile = new MultipartFormDataContent { { new StringContent(farm.Kind), "kind" } })
            await Refused(HttpStatusCode.BadRequest, "no file in the field 'sample'", farm.SendAsync(noFile));

        // nothing stored, nothing queued
        farm.Scalar("SELECT count(*) FROM tasks").ShouldBe(0);
        farm.Scalar("SELECT count(*) FROM blobs").ShouldBe(0);
        for (var p = 0; p <= TaskQueues.MaxPriority; p++) servers.Rabbit.Ready(TaskQueues.Name(farm.Kind, p)).ShouldBe(0);
        // and a good one is accepted by the same service
        (await farm.SubmitAsync(ok)).Status.ShouldBe(HttpStatusCode.Created);
        servers.Rabbit.Ready(TaskQueues.Name(farm.Kind, 1)).ShouldBe(1);
    }

    private static Dictionary<string, string> Opt(string name, string value) => new() { [name] = value };

    /// <summary>A rule whose condition names a string it never declared (yara reports it at line 5, the rule's end).</summary>
    private const string BrokenRules = "rule Broken\n{\n  condition:\n    $missing\n}\n";

    [Fact]
    public async Task A_sample_submitted_again_with_reuse_gets_the_earlier_result_without_a_run()
    {
        using var farm = new TestFarm(servers);
        farm.StartWorker(slots: 1);
        var first = await farm.SubmitOkAsync("records 300\n");
        await farm.WaitEndedAsync([first], TimeSpan.FromMinutes(3));
        var reuse = new Dictionary<string, string> { ["reuse"] = "true" };
        var (status, body) = await farm.SubmitAsync(TestFarm.Script("records 300\n"), fields: reuse);
        status.ShouldBe(HttpStatusCode.OK, body.ToString());
        body.GetProperty("reusedFrom").GetInt64().ShouldBe(first);
        var again = body.GetProperty("id").GetInt64();
        (await farm.DetailAsync(again)).Task.State.ShouldBe("done");
        (await farm.Http.GetStringAsync($"api/tasks/{again}/report?format=md")).ShouldContain($"Test run {first}-1");
        // other options (another timeout) are another result: queued for a run
        var otherTimeout = new Dictionary<string, string> { ["reuse"] = "true", ["timeout"] = "30s" };
        var (status2, _) = await farm.SubmitAsync(TestFarm.Script("records 300\n"), fields: otherTimeout);
        status2.ShouldBe(HttpStatusCode.Created);
        farm.Scalar("SELECT count(*) FROM runs").ShouldBe(1);
    }
}
