using Alkanet.Farm.Tests.Servers;

namespace Alkanet.Farm.Tests;

[Collection(FarmCollection.Name)]
public sealed class PriorityTests(FarmServers servers)
{
    [Fact]
    public async Task A_free_slot_takes_the_most_urgent_queued_task_first()
    {
        using var farm = new TestFarm(servers);
        var low1 = await farm.SubmitOkAsync("records 100\n", new Dictionary<string, string> { ["priority"] = "low" });
        var low2 = await farm.SubmitOkAsync("records 100\n", new Dictionary<string, string> { ["priority"] = "0" });
        var normal = await farm.SubmitOkAsync("records 100\n");
        var high = await farm.SubmitOkAsync("records 100\n", new Dictionary<string, string> { ["priority"] = "high", ["tags"] = "urgent,case:42" });

        farm.StartWorker(slots: 1);
        var ended = await farm.WaitEndedAsync([low1, low2, normal, high], TimeSpan.FromMinutes(5));

        var order = ended.OrderBy(d => d.AttemptList.Single().Started).Select(d => d.Task.Id).ToList();
        order.ShouldBe([high, normal, low1, low2]);
        ended[3].Task.Tags.ShouldBe(["urgent", "case:42"]);
        var tagged = await farm.Http.GetStringAsync("api/tasks?tag=case:42");
        tagged.ShouldContain($"\"id\":{high},");
        tagged.ShouldNotContain($"\"id\":{low1},");
    }
}
