using Alkanet.Core.Json;
using Alkanet.Core.Records;
using Alkanet.Logging.Storage;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.Data.Sqlite;

namespace Alkanet.Logging.Tests;

/// <summary>The store's block index: one row per block of up to 4096 records, found by number, skipped by masks,
/// rebuilt from the run file after a torn tail or from a version 1 (per-record) database.</summary>
public class BlockIndexTests : IDisposable
{
    private const int Block = BlockIndexBuilder.MaxBlockRecords;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "alkanet-blocks-" + Guid.NewGuid().ToString("n"));

    private static RunAppend Append(string run, List<SyscallRecord> records) =>
        new(run, [new RecordSlice(EncodedRecords.From(records), 0, records.Count)]);

    private static List<SyscallRecord> Records(long first, int count) =>
        Enumerable.Range(0, count).Select(i => TestRecords.Make(first + i)).ToList();

    private static long No(string json) => RecordJson.Parse(json).No;

    private long Scalar(string sql)
    {
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(_dir, "alkanet-logger.db") }.ToString());
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void A_commit_becomes_blocks_of_at_most_4096_records_and_every_block_edge_is_found_by_number()
    {
        using (var store = new SqliteRunStore(_dir))
        {
            store.OpenRun("r", "test");
            store.Commit([Append("r", Records(0, 5000))]);     // blocks 0..4095, 4096..4999
            store.Commit([Append("r", Records(5000, 3))]);     // 5000..5002
            store.Commit([Append("r", Records(5003, 2 * Block))]); // 5003..9098, 9099..13194
        }
        Scalar("SELECT count(*) FROM blocks").ShouldBe(5);
        Scalar("SELECT count(*) FROM sqlite_master WHERE name = 'records'").ShouldBe(0, "no per-record rows");
        Scalar("SELECT max(n) FROM blocks").ShouldBe(Block);
        using var reopened = new SqliteRunStore(_dir);
        long[] edges = [0, 4095, 4096, 4999, 5000, 5002, 5003, 9098, 9099, 13194];
        foreach (var n in edges)
        {
            // the record with number n, asked for the way the page asks (after n - 1, one record)
            var one = reopened.ReadJson("r", new RecordQuery { AfterNo = n - 1, Limit = 1 });
            one.Select(No).ShouldBe([n], $"lookup of no {n}");
            // a window across the edge is contiguous
            var window = reopened.ReadJson("r", new RecordQuery { AfterNo = n - 3, BeforeNo = n + 3, Limit = 100 }).Select(No).ToList();
            window.ShouldBe(Enumerable.Range(0, 5).Select(i => n - 2 + i).Where(x => x is >= 0 and <= 13194).ToList(), $"window at {n}");
            // newest first before the edge: the records just under it, in order
            var tail = reopened.ReadJson("r", new RecordQuery { BeforeNo = n + 1, Newest = true, Limit = 3 }).Select(No).ToList();
            tail.ShouldBe(Enumerable.Range(0, 3).Select(i => n - 2 + i).Where(x => x >= 0).ToList(), $"tail at {n}");
        }
        reopened.ReadJson("r", new RecordQuery { AfterNo = 13194 }).ShouldBeEmpty();
        reopened.ReadJson("r", new RecordQuery { Newest = true, Limit = 1 }).Select(No).ShouldBe([13194L]);
    }

    [Fact]
    public void Loss_ranges_keep_their_numbers_counters_and_the_runs_last_no_through_a_reopen()
    {
        using (var store = new SqliteRunStore(_dir))
        {
            store.OpenRun("r", "test");
            var batch = Records(0, 100);
            batch.Add(SyscallRecord.LossMarker(100, 199, "buffer full"));
            batch.AddRange(Records(200, 100));
            store.Commit([Append("r", batch)]);
            store.Commit([Append("r", [SyscallRecord.LossMarker(300, 349, "buffer full")])]); // a run ending in a LOSS range
            var info = store.FindRun("r")!;
            info.LastNo.ShouldBe(349);
            info.LossRecords.ShouldBe(150);
            info.RecordCount.ShouldBe(202);
        }
        using var reopened = new SqliteRunStore(_dir);
        reopened.FindRun("r")!.LastNo.ShouldBe(349);
        // the marker is found by its own number; numbers inside its range are not records
        reopened.ReadJson("r", new RecordQuery { AfterNo = 99, Limit = 2 }).Select(No).ShouldBe([100L, 200L]);
        reopened.ReadJson("r", new RecordQuery { AfterNo = 150, Limit = 1 }).Select(No).ShouldBe([200L]);
        reopened.ReadJson("r", new RecordQuery { Newest = true, Limit = 2 }).Select(No).ShouldBe([299L, 300L]);
        var stats = reopened.Statistics("r");
        stats.LossMarkers.ShouldBe(2);
        (stats.EnterCount + stats.ExitCount).ShouldBe(200);
        reopened.Processes("r").Sum(p => p.Records).ShouldBe(200, "LOSS markers are no process's records");
    }

    [Fact]
    public void A_torn_tail_inside_a_block_rebuilds_the_index_from_the_whole_lines()
    {
        using (var store = new SqliteRunStore(_dir))
        {
            store.OpenRun("r", "test");
            store.Commit([Append("r", Records(0, 3 * Block))]);
        }
        var path = Path.Combine(_dir, "runs", "r.jsonl");
        var lines = File.ReadAllLines(path);
        const int keep = Block + 1234; // inside the second block
        File.WriteAllText(path, string.Join('\n', lines.Take(keep)) + "\n" + lines[keep][..37]); // power loss mid-line
        using (var store = new SqliteRunStore(_dir))
        {
            var info = store.FindRun("r")!;
            (info.FirstNo, info.LastNo, info.RecordCount).ShouldBe((0L, keep - 1L, (long)keep));
            info.LastTimestampNs.ShouldBe(TestRecords.Make(keep - 1).TimestampNs);
            store.ReadJson("r", new RecordQuery { AfterNo = keep - 3, Limit = 10 }).Select(No).ShouldBe([keep - 2L, keep - 1L]);
            store.ReadJson("r", new RecordQuery { AfterNo = Block - 2, Limit = 2 }).Select(No).ShouldBe([Block - 1L, Block]);
            var stats = store.Statistics("r");
            (stats.EnterCount + stats.ExitCount).ShouldBe(keep);
            stats.Calls.Sum(c => c.Count).ShouldBe(keep);
            store.Processes("r").Sum(p => p.Records).ShouldBe(keep);
            RunChecks.ShouldBeCompleteRun(store, path, "r", 0, keep - 1);
            store.OpenRun("r", "test");
            store.Commit([Append("r", Records(keep, 10))]);
        }
        Scalar("SELECT count(*) FROM blocks").ShouldBe(3, "two rebuilt blocks and the new commit's");
        using var again = new SqliteRunStore(_dir);
        RunChecks.ShouldBeCompleteRun(again, path, "r", 0, keep + 9);
    }

    [Fact]
    public void A_version_1_database_with_one_row_per_record_is_migrated_from_its_run_files()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "runs"));
        var records = Records(0, 6000);
        var path = Path.Combine(_dir, "runs", "old.jsonl");
        File.WriteAllLines(path, records.Select(r => RecordJson.Serialize(r)));
        var bytes = new FileInfo(path).Length;
        using (var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(_dir, "alkanet-logger.db") }.ToString()))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            // the version 1 layout, as loggers before the block index made it (a few rows suffice: migration reads the file)
            cmd.CommandText = $"""
                CREATE TABLE runs(key INTEGER PRIMARY KEY, run_id TEXT NOT NULL UNIQUE, created TEXT NOT NULL, client TEXT NOT NULL,
                  state TEXT NOT NULL, ended TEXT, first_no INTEGER NOT NULL DEFAULT -1, last_no INTEGER NOT NULL DEFAULT -1,
                  record_count INTEGER NOT NULL DEFAULT 0, loss_records INTEGER NOT NULL DEFAULT 0,
                  file_bytes INTEGER NOT NULL DEFAULT 0, first_ts INTEGER, last_ts INTEGER, stream TEXT NOT NULL DEFAULT '');
                CREATE TABLE names(id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);
                CREATE TABLE records(id INTEGER PRIMARY KEY, run INTEGER NOT NULL, logtype INTEGER NOT NULL, pid INTEGER NOT NULL,
                  ppid INTEGER, proc INTEGER NOT NULL, call INTEGER NOT NULL, ts INTEGER, off INTEGER NOT NULL);
                CREATE VIEW record_rows AS SELECT id FROM records;
                INSERT INTO runs(key, run_id, created, client, state, first_no, last_no, record_count, file_bytes)
                  VALUES(1, 'old', '2026-11-01T00:00:00.0000000+00:00', 'test', 'Complete', 0, 5999, 6000, {bytes});
                INSERT INTO names(id, text) VALUES(1, 'sample.exe'), (2, 'NtClose');
                INSERT INTO records VALUES(1099511627776, 1, 0, 264, 260, 1, 2, NULL, 0);
                """;
            cmd.ExecuteNonQuery();
        }
        Should.Throw<IOException>(() => new SqliteRunStore(_dir, readOnly: true)).Message.ShouldContain("schema version 0");
        using (var store = new SqliteRunStore(_dir))
        {
            var info = store.FindRun("old")!;
            (info.LastNo, info.RecordCount, info.State).ShouldBe((5999L, 6000L, RunState.Complete));
            store.ReadJson("old", new RecordQuery { AfterNo = 4095, Limit = 2 }).Select(No).ShouldBe([4096L, 4097L]);
            store.Statistics("old").Calls.Sum(c => c.Count).ShouldBe(6000);
            store.Processes("old").Single(p => p.Name == "sample.exe").Records.ShouldBe(records.Count(r => r.ProcName == "sample.exe"));
        }
        Scalar("PRAGMA user_version").ShouldBe(2);
        Scalar("SELECT count(*) FROM sqlite_master WHERE name IN ('records', 'record_rows')").ShouldBe(0);
        using var readOnly = new SqliteRunStore(_dir, readOnly: true);
        RunChecks.ShouldBeCompleteRun(readOnly, path, "old", 0, 5999);
    }

    /// <summary>Any commits (sizes across block edges, LOSS ranges between them) and any query: the block index answers what
    /// filtering the records themselves answers.</summary>
    [Fact]
    public void Queries_through_the_block_index_match_filtering_the_records()
    {
        var size = Gen.Choose(1, 2 * Block + 10);
        var gen =
            from commits in Gen.Choose(1, 4)
            from s1 in size
            from s2 in size
            from s3 in size
            from s4 in size
            from after in Gen.Choose(-1, 14_000)
            from span in Gen.Choose(1, 6000)
            from bounds in Gen.Choose(0, 3)
            from pid in Gen.Choose(-1, 4)
            from call in Gen.Elements<string?>(null, null, "NtClose", "NtReadFile", "loss")
            from newest in Gen.Elements(false, true)
            from limit in Gen.Choose(1, 300)
            select (Sizes: new[] { s1, s2, s3, s4 }.Take(commits).ToArray(), Query: new RecordQuery
            {
                AfterNo = (bounds & 1) == 0 ? null : after,
                BeforeNo = (bounds & 2) == 0 ? null : after + span,
                Pid = pid < 0 ? null : 0x100ul + (ulong)pid * 4,
                CallName = call,
                Newest = newest,
                Limit = limit,
            });
        var dir = 0;
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var (commitSizes, query) = t;
            var path = Path.Combine(_dir, "p" + dir++);
            var all = new List<SyscallRecord>();
            using var store = new SqliteRunStore(path);
            store.OpenRun("r", "test");
            long next = 0;
            foreach (var n in commitSizes)
            {
                var batch = Records(next, n);
                next += n;
                if (n % 3 == 0)
                {
                    batch.Add(SyscallRecord.LossMarker(next, next + n % 50, "gap"));
                    next += n % 50 + 1;
                }
                store.Commit([Append("r", batch)]);
                all.AddRange(batch);
            }
            var want = all.Where(r => (query.AfterNo is not { } a || r.No > a) && (query.BeforeNo is not { } b || r.No < b)
                && (query.Pid is not { } p || r.Pid == p) && (query.CallName is not { } c || r.Name == c)).Select(r => r.No).ToList();
            want = query.Newest ? want.TakeLast(query.Limit).ToList() : want.Take(query.Limit).ToList();
            var got = store.ReadJson("r", query).Select(No).ToList();
            got.ShouldBe(want, $"commits {string.Join(',', commitSizes)}, {query}");
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(25));
    }

    public void Dispose()
    {
        GC.SuppressFinalize(this);
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }
}
