using System.Net;
using Alkanet.Farm.Storage;
using Alkanet.Farm.Tests.Servers;

namespace Alkanet.Farm.Tests;

[Collection(FarmCollection.Name)]
public sealed class CancelTests(FarmServers servers)
{
    [Fact]
    public async Task Cancelling_kills_a_running_task_skips_a_queued_one_and_the_worker_goes_on()
    {
        using var farm = new TestFarm(servers);
        farm.StartWorker(slots: 1);
        var running = await farm.SubmitOkAsync("records 100\nhang\n", new Dictionary<string, string> { ["timeout"] = "10m" });
        var queued = await farm.SubmitOkAsync("records 100\n");
        var next = await farm.SubmitOkAsync("records 200\n");
        await farm.WaitForAsync(running, d => d.AttemptList is [{ State: "running", RecordsStored: 100 }], TimeSpan.FromMinutes(3));

        (await Cancel(farm, queued, farm.Token)).ShouldBe(HttpStatusCode.OK);
        (await Cancel(farm, running, null)).ShouldBe(HttpStatusCode.Unauthorized);
        (await Cancel(farm, running, farm.Token)).ShouldBe(HttpStatusCode.OK);

        var ended = await farm.WaitEndedAsync([running, queued, next], TimeSpan.FromMinutes(4));
        ended[0].Task.State.ShouldBe(TaskStates.Cancelled);
        ended[0].AttemptList.Single().State.ShouldBe("cancelled");
        ended[0].AttemptList.Single().Reason.ShouldBe("cancelled by a user");
        ended[1].Task.State.ShouldBe(TaskStates.Cancelled);
        ended[1].AttemptList.ShouldBeEmpty("a queued task cancelled is never run");
        ended[2].Task.State.ShouldBe(TaskStates.Done);
        (await Cancel(farm, next, farm.Token)).ShouldBe(HttpStatusCode.Conflict);
    }

    private static async Task<HttpStatusCode> Cancel(TestFarm farm, long id, string? token)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, $"api/tasks/{id}/cancel");
        if (token is not null) req.Headers.Add("X-Alkanet-Token", token);
        using var resp = await farm.Http.SendAsync(req);
        return resp.StatusCode;
    }
}
