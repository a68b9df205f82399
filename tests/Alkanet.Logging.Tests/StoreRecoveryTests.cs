using Alkanet.Core.Records;
using Alkanet.Logging.Storage;

namespace Alkanet.Logging.Tests;

/// <summary>The store after a crash: the run file and the database are reconciled on open.</summary>
public class StoreRecoveryTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "alkanet-store-" + Guid.NewGuid().ToString("n"));

    private static RunAppend Append(string run, long first, int count) =>
        new(run, [new RecordSlice(EncodedRecords.From(Enumerable.Range(0, count).Select(i => TestRecords.Make(first + i)).ToList()), 0, count)]);

    private void Fill(string run, int commits)
    {
        using var store = new SqliteRunStore(_dir);
        store.OpenRun(run, "test");
        for (var c = 0; c < commits; c++) store.Commit([Append(run, c * 1000L, 1000)]);
    }

    [Fact]
    public void An_unacknowledged_tail_in_the_run_file_is_cut_off_on_open()
    {
        Fill("r", 3);
        var path = Path.Combine(_dir, "runs", "r.jsonl");
        var committed = new FileInfo(path).Length;
        File.AppendAllText(path, "{\"no\":3000,\"cpu_id\":0,\"logtype\":\"ENTER\",\"proc_pi"); // a commit that never happened
        using var store = new SqliteRunStore(_dir);
        new FileInfo(path).Length.ShouldBe(committed);
        store.FindRun("r")!.State.ShouldBe(RunState.Interrupted);
        RunChecks.ShouldBeCompleteRun(store, path, "r", 0, 2999);
    }

    [Fact]
    public void A_failed_commit_leaves_no_line_past_the_committed_length_during_the_run_nor_after_a_clean_stop()
    {
        var path = Path.Combine(_dir, "runs", "r.jsonl");
        using (var store = new SqliteRunStore(_dir))
        {
            store.OpenRun("r", "test");
            store.Commit([Append("r", 0, 100)]);
            var committed = new FileInfo(path).Length;
            // the lines reach the file, then the rows fail (a number past the store's range): nothing of it is committed
            var bad = TestRecords.Make(100 + 50);
            bad.No = Wire.WireLimits.MaxRecordNo + 1;
            var records = Enumerable.Range(100, 50).Select(i => TestRecords.Make(i)).Append(bad).ToList();
            Should.Throw<ArgumentOutOfRangeException>(() => store.Commit([new RunAppend("r", [new RecordSlice(EncodedRecords.From(records), 0, records.Count)])]));
            new FileInfo(path).Length.ShouldBe(committed, "the failed commit's lines are cut off at once");
            store.FindRun("r")!.LastNo.ShouldBe(99);
            store.Commit([Append("r", 100, 100)]);
            RunChecks.ShouldBeCompleteRun(store, path, "r", 0, 199);
        }
        using var reopened = new SqliteRunStore(_dir);
        RunChecks.ShouldBeCompleteRun(reopened, path, "r", 0, 199);
    }

    [Fact]
    public void A_run_file_that_lost_its_tail_drops_the_rows_past_its_last_whole_line()
    {
        Fill("r", 3);
        var path = Path.Combine(_dir, "runs", "r.jsonl");
        var lines = File.ReadAllLines(path);
        var keep = string.Join('\n', lines.Take(2500)) + "\n" + lines[2500][..20]; // power loss mid-line
        File.WriteAllText(path, keep);
        using (var store = new SqliteRunStore(_dir))
        {
            var run = store.FindRun("r")!;
            run.LastNo.ShouldBe(2499);
            run.RecordCount.ShouldBe(2500);
            RunChecks.ShouldBeCompleteRun(store, path, "r", 0, 2499);
            store.ReadJson("r", new RecordQuery { AfterNo = 2490, Limit = 100 }).Count.ShouldBe(9);
            // the run continues where it really ends
            store.OpenRun("r", "test");
            store.Commit([Append("r", 2500, 500)]);
        }
        using var reopened = new SqliteRunStore(_dir);
        RunChecks.ShouldBeCompleteRun(reopened, path, "r", 0, 2999);
    }

    [Fact]
    public void Queries_use_the_index_by_process_call_and_position()
    {
        Fill("r", 2);
        using var store = new SqliteRunStore(_dir);
        var byCall = store.ReadJson("r", new RecordQuery { CallName = "NtClose", Limit = 10_000 });
        byCall.Count.ShouldBe(ExpectedCount(2000, r => r.Name == "NtClose"));
        byCall.ShouldAllBe(j => j.Contains("\"name\":\"NtClose\""));
        var byPid = store.ReadJson("r", new RecordQuery { Pid = 0x108, Limit = 10_000 });
        byPid.Count.ShouldBe(ExpectedCount(2000, r => r.Pid == 0x108));
        var tail = store.ReadJson("r", new RecordQuery { Newest = true, Limit = 3 });
        tail.Select(j => RecordJsonNo(j)).ShouldBe([1997L, 1998L, 1999L]);
        store.ReadJson("r", new RecordQuery { CallName = "NoSuchCall" }).ShouldBeEmpty();
        var stats = store.Statistics("r");
        stats.EnterCount.ShouldBe(1000);
        stats.Calls.Sum(c => c.Count).ShouldBe(2000);
        var tree = store.Processes("r");
        tree.Single(p => p.Name == "sample.exe").ParentPid.ShouldBe(0x104ul);
    }

    private static int ExpectedCount(int n, Func<SyscallRecord, bool> pick) => Enumerable.Range(0, n).Count(i => pick(TestRecords.Make(i)));

    private static long RecordJsonNo(string json) => Core.Json.RecordJson.Parse(json).No;

    public void Dispose()
    {
        GC.SuppressFinalize(this);
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }
}
