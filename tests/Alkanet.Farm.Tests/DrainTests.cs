using Alkanet.Farm.Storage;
using Alkanet.Farm.Tests.Servers;

namespace Alkanet.Farm.Tests;

[Collection(FarmCollection.Name)]
public sealed class DrainTests(FarmServers servers)
{
    [Fact]
    public async Task SIGTERM_drains_a_worker_its_running_task_is_handed_in_and_the_queued_one_left_for_others()
    {
        using var farm = new TestFarm(servers);
        var worker = farm.StartWorker(slots: 1);
        var name = TestFarm.WorkerName(worker);
        var running = await farm.SubmitOkAsync("records 3000\nspread-ms 8000\n");
        var waiting = await farm.SubmitOkAsync("records 10\n");
        await farm.WaitForAsync(running, d => d.AttemptList is [{ RecordsStored: > 100 }], TimeSpan.FromMinutes(3));

        worker.Terminate();

        worker.WaitForExit(TimeSpan.FromMinutes(4)).ShouldBeTrue("the worker stops once its task is handed in");
        worker.ExitCode.ShouldBe(0);
        var d = await farm.DetailAsync(running);
        d.Task.State.ShouldBe(TaskStates.Done, d.Task.Reason);
        d.AttemptList.Single().Worker.ShouldBe(name);
        farm.StoredRun($"{running}-1").Count.ShouldBe(3000);
        (await farm.DetailAsync(waiting)).Task.State.ShouldBe(TaskStates.Queued);
        farm.Scalar($"SELECT count(*) FROM workers WHERE name = '{name}' AND state = 'stopped'").ShouldBe(1);

        // another host takes what was left
        farm.StartWorker(slots: 1);
        (await farm.WaitEndedAsync([waiting], TimeSpan.FromMinutes(3)))[0].Task.State.ShouldBe(TaskStates.Done);
    }
}
