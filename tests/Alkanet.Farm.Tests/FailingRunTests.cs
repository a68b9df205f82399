using Alkanet.Farm.Queue;
using Alkanet.Farm.Storage;
using Alkanet.Farm.Tests.Servers;

namespace Alkanet.Farm.Tests;

[Collection(FarmCollection.Name)]
public sealed class FailingRunTests(FarmServers servers)
{
    [Fact]
    public async Task Runs_that_crash_or_hang_fail_their_task_with_every_attempts_reason_and_the_worker_takes_the_next()
    {
        using var farm = new TestFarm(servers, maxAttempts: 2);
        var worker = farm.StartWorker(slots: 1, leeway: "3s");
        var name = TestFarm.WorkerName(worker);
        var crash = await farm.SubmitOkAsync("records 50\nexit 1\n");
        var hang = await farm.SubmitOkAsync("records 50\nhang\n", new Dictionary<string, string> { ["timeout"] = "2s" });
        var good = await farm.SubmitOkAsync("records 500\n");

        var ended = await farm.WaitEndedAsync([crash, hang, good], TimeSpan.FromMinutes(6));

        var c = ended[0];
        c.Task.State.ShouldBe(TaskStates.Failed);
        c.AttemptList.Select(a => (a.State, a.ExitCode)).ShouldBe([("failed", (int?)1), ("failed", 1)]);
        c.Task.Reason!.ShouldContain($"attempt 1 on {name}: the run exited with code 1");
        c.Task.Reason!.ShouldContain("attempt 2 on");
        c.Task.Reason!.ShouldContain("kernel panicked");
        c.Task.Reason!.ShouldContain("(2 of 2 attempts)");
        var h = ended[1];
        h.Task.State.ShouldBe(TaskStates.Failed);
        h.AttemptList.Count.ShouldBe(2);
        h.Task.Reason!.ShouldContain("killed as hung");
        ended[2].Task.State.ShouldBe(TaskStates.Done);
        worker.HasExited.ShouldBeFalse();
        // the failed tasks' messages went to the dead-letter queue, which the service has read
        await WaitUntil(() => servers.Rabbit.Ready(TaskQueues.DeadLetter(farm.Kind)) == 0, TimeSpan.FromMinutes(1));
        (await farm.Http.GetAsync($"api/tasks/{crash}/report")).StatusCode.ShouldBe(System.Net.HttpStatusCode.Conflict);
    }

    private static async Task WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not met");
            await Task.Delay(500);
        }
    }
}
