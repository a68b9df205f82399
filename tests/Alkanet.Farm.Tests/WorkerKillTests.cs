using Alkanet.Farm.Storage;
using Alkanet.Farm.Tests.Servers;

namespace Alkanet.Farm.Tests;

[Collection(FarmCollection.Name)]
public sealed class WorkerKillTests(FarmServers servers)
{
    [Fact]
    public async Task A_worker_killed_mid_task_loses_nothing_the_task_is_delivered_again_and_completes_once()
    {
        using var farm = new TestFarm(servers);
        var doomed = farm.StartWorker(slots: 1);
        var doomedName = TestFarm.WorkerName(doomed);
        var id = await farm.SubmitOkAsync("records 6000\nspread-ms 60000\n");
        // mid-task: the first attempt's run has records stored
        await farm.WaitForAsync(id, d => d.AttemptList is [{ RecordsStored: > 100 }], TimeSpan.FromMinutes(3));

        doomed.Kill9();
        var survivor = farm.StartWorker(slots: 1);
        var ended = (await farm.WaitEndedAsync([id], TimeSpan.FromMinutes(6)))[0];

        ended.Task.State.ShouldBe(TaskStates.Done, ended.Task.Reason);
        ended.AttemptList.Count.ShouldBe(2);
        // the first attempt is on record: who ran it and why it ended
        ended.AttemptList[0].Worker.ShouldBe(doomedName);
        ended.AttemptList[0].State.ShouldBe("lost");
        ended.AttemptList[0].Reason!.ShouldContain($"worker {doomedName} vanished");
        ended.AttemptList[0].RecordsStored.ShouldBeGreaterThan(100);
        ended.AttemptList[1].Worker.ShouldBe(TestFarm.WorkerName(survivor));
        ended.AttemptList[1].State.ShouldBe("done");
        ended.Task.ResultAttempt.ShouldBe(2);
        // the result run is whole, each number once; the killed attempt's partial run stays apart from it
        var run = farm.StoredRun($"{id}-2");
        (run.Count, run.First, run.Last, run.Loss, run.Distinct, run.State).ShouldBe((6000L, 0L, 5999L, 0L, 6000L, "Complete"));
        var first = farm.StoredRun($"{id}-1");
        first.State.ShouldNotBe("Complete");
        first.Count.ShouldBe(first.Distinct);
        first.Last.ShouldBe(first.Count - 1);
        farm.Scalar($"SELECT count(*) FROM attempts WHERE task = {id} AND state = 'done'").ShouldBe(1);
    }
}
