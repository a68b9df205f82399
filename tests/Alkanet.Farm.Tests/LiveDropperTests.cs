using System.Text.Json;
using Alkanet.Farm.Storage;
using Alkanet.Farm.Tests.Servers;
using Alkanet.Vmm.Guest;
using Alkanet.Vmm.Host;
using Alkanet.Vmm.Qemu;

namespace Alkanet.Farm.Tests;

/// <summary>The dropper sample through the whole farm with the real <c>alkanet run</c>: a QEMU guest traced from the
/// hypervisor, its records streamed into PostgreSQL, its report handed in and served.</summary>
[Collection(FarmCollection.Name)]
public sealed class LiveDropperTests(FarmServers servers)
{
    [Fact]
    public async Task The_dropper_submitted_to_the_farm_is_traced_in_a_guest_and_its_report_served()
    {
        RequireLiveTracing();
        using var farm = new TestFarm(servers);
        farm.StartWorker(slots: 1, realRun: true);
        var source = File.ReadAllBytes(Path.Combine(AlkanetPaths.RepositoryRoot()!, "samples", "dropper", "dropper.c"));
        var (status, body) = await farm.SubmitAsync(source, "dropper.c", new Dictionary<string, string> { ["timeout"] = "3m" });
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
    }

    private static void RequireLiveTracing()
    {
        string? missing = null;
        try
        {
            AnalysisGuest.Prepare(QemuInstallation.Find());
            Alkanet.Vmm.Live.PluginLocator.Locate();
        }
        catch (PrerequisiteMissingException e)
        {
            missing = e.Message;
        }
        if (missing is null) return;
        if (Environment.GetEnvironmentVariable("CI") == "true") Assert.Fail("live-tracing prerequisite missing under CI: " + missing);
        Assert.Skip("live-tracing prerequisite missing: " + missing);
    }
}
