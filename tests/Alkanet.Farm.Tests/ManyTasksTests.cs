using Alkanet.Farm.Storage;
using Alkanet.Farm.Tests.Servers;

namespace Alkanet.Farm.Tests;

[Collection(FarmCollection.Name)]
public sealed class ManyTasksTests(FarmServers servers)
{
    [Fact]
    public async Task Two_workers_with_three_slots_run_twenty_tasks_each_exactly_once_into_gap_free_runs()
    {
        using var farm = new TestFarm(servers);
        var a = farm.StartWorker(slots: 3);
        var b = farm.StartWorker(slots: 3);
        var names = new[] { TestFarm.WorkerName(a), TestFarm.WorkerName(b) };
        names[0].ShouldNotBe(names[1]);
        var ids = new List<long>();
        for (var i = 0; i < 20; i++) ids.Add(await farm.SubmitOkAsync($"records {2000 + i * 10}\nspread-ms 1500\n"));

        var done = await farm.WaitEndedAsync(ids, TimeSpan.FromMinutes(8));

        for (var i = 0; i < 20; i++)
        {
            var d = done[i];
            d.Task.State.ShouldBe(TaskStates.Done, $"task {d.Task.Id}: {d.Task.Reason}");
            // exactly once: one attempt, and it is the result
            d.AttemptList.Count.ShouldBe(1, $"task {d.Task.Id}");
            d.AttemptList[0].State.ShouldBe("done");
            d.Task.ResultAttempt.ShouldBe(1);
            names.ShouldContain(d.AttemptList[0].Worker);
            var expected = 2000 + i * 10;
            var run = farm.StoredRun(d.Task.RunId!);
            run.State.ShouldBe("Complete");
            (run.Count, run.First, run.Last, run.Loss, run.Distinct).ShouldBe((expected, 0L, expected - 1L, 0L, expected), $"run {d.Task.RunId}");
            d.AttemptList[0].RecordsStored.ShouldBe(expected);
            d.Artifacts.Select(x => x.Name).ShouldBe(["report.html", "report.json", "report.md"], ignoreOrder: true);
        }
        // both hosts took tasks, and no run was stored that is not one of these tasks' attempts
        done.Select(d => d.AttemptList[0].Worker).Distinct().Count().ShouldBe(2);
        farm.Scalar("SELECT count(*) FROM runs").ShouldBe(20);
        var md = await farm.Http.GetStringAsync($"api/tasks/{ids[0]}/report?format=md");
        md.ShouldContain($"# Test run {ids[0]}-1");
        var trace = await farm.Http.GetStringAsync($"api/tasks/{ids[0]}/trace");
        trace.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(2000);
    }
}
