using Alkanet.Farm.Storage;
using Alkanet.Farm.Tests.Servers;

namespace Alkanet.Farm.Tests;

[Collection(FarmCollection.Name)]
public sealed class ServerOutageTests(FarmServers servers)
{
    [Fact]
    public async Task The_broker_restarted_mid_run_loses_no_task_and_runs_none_twice()
    {
        using var farm = new TestFarm(servers);
        farm.StartWorker(slots: 2);
        var ids = new List<long>();
        for (var i = 0; i < 4; i++) ids.Add(await farm.SubmitOkAsync($"records {3000 + i}\nspread-ms 20000\n"));
        // two run (records arriving), two wait in the queue
        await WaitRunning(farm, ids, 2);

        servers.Rabbit.Restart();
        ids.Add(await farm.SubmitOkAsync("records 3004\n")); // the service publishes again once the broker is back

        var ended = await farm.WaitEndedAsync(ids, TimeSpan.FromMinutes(10));
        for (var i = 0; i < ended.Count; i++)
        {
            var d = ended[i];
            d.Task.State.ShouldBe(TaskStates.Done, $"task {d.Task.Id}: {d.Task.Reason}");
            d.AttemptList.Count.ShouldBe(1, $"task {d.Task.Id} ran more than once");
            var run = farm.StoredRun(d.Task.RunId!);
            (run.Count, run.Last, run.Loss, run.Distinct).ShouldBe((3000L + i, 2999L + i, 0L, 3000L + i));
        }
    }

    [Fact]
    public async Task PostgreSQL_stopped_for_ten_seconds_during_ingest_loses_no_record()
    {
        using var farm = new TestFarm(servers);
        farm.StartWorker(slots: 2);
        var ids = new List<long> { await farm.SubmitOkAsync("records 8000\nspread-ms 30000\n"),
            await farm.SubmitOkAsync("records 8001\nspread-ms 30000\n") };
        await WaitRunning(farm, ids, 2);

        servers.Postgres.Stop();
        await Task.Delay(TimeSpan.FromSeconds(10));
        servers.Postgres.Start();

        var ended = await farm.WaitEndedAsync(ids, TimeSpan.FromMinutes(8));
        for (var i = 0; i < 2; i++)
        {
            var d = ended[i];
            d.Task.State.ShouldBe(TaskStates.Done, $"task {d.Task.Id}: {d.Task.Reason}");
            d.AttemptList.Count.ShouldBe(1);
            var run = farm.StoredRun(d.Task.RunId!);
            (run.Count, run.First, run.Last, run.Loss, run.Distinct, run.State).ShouldBe((8000L + i, 0L, 7999L + i, 0L, 8000L + i, "Complete"));
        }
    }

    private static async Task WaitRunning(TestFarm farm, IReadOnlyList<long> ids, int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(4);
        while (true)
        {
            var running = 0;
            foreach (var id in ids)
                if ((await farm.DetailAsync(id)).AttemptList is [{ State: "running", RecordsStored: > 100 }]) running++;
            if (running >= count) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"only {running} task(s) running with records");
            await Task.Delay(250);
        }
    }
}
