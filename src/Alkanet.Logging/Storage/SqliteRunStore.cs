using System.Globalization;
using System.Text;
using Alkanet.Core.Json;
using Alkanet.Core.Records;
using Microsoft.Data.Sqlite;
using Microsoft.Win32.SafeHandles;
using SQLitePCL;

namespace Alkanet.Logging.Storage;

/// <summary>
/// The embedded store. <c>DIR/runs/RUN.jsonl</c> holds each run as JSON Lines (the records themselves, in order,
/// each once); <c>DIR/alkanet-logger.db</c> (SQLite, WAL) is the index over them, by block, not by record: one
/// <c>blocks</c> row per up to <see cref="BlockIndexBuilder.MaxBlockRecords"/> contiguous records of a commit (its
/// number range, byte range in the run file, time range and Bloom masks of its pids, process and call names), the
/// run's counters by call, process and log type (<c>run_counts</c>) and its process table (<c>run_procs</c>); see
/// <see cref="StoreSchema"/>. A block's row id is <c>run_key &lt;&lt; 40 | first no</c>, so a run is one ordered range
/// of the primary key and a record is found by seeking to the last block starting at or before its number, then
/// scanning that block's lines.
/// <para>Crash safety: a commit appends the lines to the run file first (flushed to the OS; fsynced with
/// <c>synchronousFull</c>), then inserts the blocks, counters and the file's new committed length in one
/// transaction. On open, a file longer than its committed length is cut back (that tail was never acknowledged); a
/// shorter one (power loss without fsync) is cut to its last whole line and the run's index is rebuilt from it, so
/// the run's last <c>no</c> moves back and a reconnecting tracer learns what is really durable.</para>
/// </summary>
public sealed class SqliteRunStore : IRunStore
{
    private const int NoBits = 40;
    private const long MaxNo = Wire.WireLimits.MaxRecordNo;
    private readonly string _connectionString;
    private readonly bool _synchronousFull;
    private readonly SqliteConnection _write;
    private readonly BlockIndexBuilder _index = new();
    private readonly sqlite3_stmt _insertName = null!;
    private readonly Dictionary<string, RunRow> _runs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FileStream> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _names = new(StringComparer.Ordinal);
    private readonly object _runsLock = new();
    private readonly object _writeLock = new();

    private sealed class RunRow
    {
        public long Key;
        public required string RunId;
        public DateTimeOffset Created;
        public long FirstNo = -1;
        public long LastNo = -1;
        public long Count;
        public long Loss;
        public string Client = "";
        public RunState State;
        public DateTimeOffset? Ended;
        public long FileBytes;
        public long? FirstTs;
        public long? LastTs;
        public string Stream = "";

        public RunInfo ToInfo() => new(RunId, Created, FirstNo, LastNo, Count, Loss, Client, State, Ended, FirstTs, LastTs, Stream);
    }

    static SqliteRunStore() => Batteries_V2.Init();

    /// <param name="directory">The logger's data directory (created if missing).</param>
    /// <param name="synchronousFull">fsync the run file and the database on every commit (survives power loss);
    /// the default survives a killed logger.</param>
    /// <param name="readOnly">Open an existing store for reading only (export while a logger may be running).</param>
    public SqliteRunStore(string directory, bool synchronousFull = false, bool readOnly = false)
    {
        DataDirectory = Path.GetFullPath(directory);
        DatabasePath = Path.Combine(DataDirectory, "alkanet-logger.db");
        _synchronousFull = synchronousFull;
        if (readOnly)
        {
            if (!File.Exists(DatabasePath)) throw new IOException($"no logger database at {DatabasePath}");
            _connectionString = new SqliteConnectionStringBuilder { DataSource = DatabasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = true }
                .ToString();
            _write = new SqliteConnection(_connectionString);
            _write.Open();
            var version = StoreSchema.UserVersion(_write);
            if (StoreSchema.HasPerRecordRows(_write) || version != StoreSchema.Version)
            {
                _write.Dispose();
                throw new IOException($"the logger database {DatabasePath} has schema version {version}, "
                    + $"not {StoreSchema.Version} (the per-record index of older loggers): start `alkanet logger --data {DataDirectory}` "
                    + "once to migrate it, then read it");
            }
            LoadRuns();
            LoadNames();
            return;
        }
        Directory.CreateDirectory(Path.Combine(DataDirectory, "runs"));
        _connectionString = new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = true }.ToString();
        _write = new SqliteConnection(_connectionString);
        _write.Open();
        Exec("PRAGMA page_size=16384"); // fewer, larger B-tree pages: ~10% less CPU per inserted row (new databases only)
        Exec("PRAGMA journal_mode=WAL");
        Exec(synchronousFull ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
        Exec("PRAGMA cache_size=-65536");
        Exec("PRAGMA temp_store=MEMORY");
        // checkpoints run on a thread of their own (see Checkpointer), not inside the writer's commits
        Exec("PRAGMA wal_autocheckpoint=0");
        StoreSchema.Create(_write, DatabasePath);
        var migrate = StoreSchema.HasPerRecordRows(_write);
        Check(raw.sqlite3_prepare_v2(_write.Handle, "INSERT INTO names(id, text) VALUES(?1, ?2)", out _insertName), "prepare name insert");
        LoadRuns();
        LoadNames();
        try
        {
            Recover(migrate);
        }
        catch (SqliteException ex)
        {
            // typically a full disk: the store cannot even mark its interrupted runs; say where, keep every file as it is
            _write.Dispose();
            throw new IOException($"cannot recover the logger's store in {DataDirectory}: {ex.Message}", ex);
        }
        _checkpointer = new Thread(CheckpointLoop) { IsBackground = true, Name = "alkanet-logger-checkpoint" };
        _checkpointer.Start();
    }

    private readonly Thread? _checkpointer;
    private readonly ManualResetEventSlim _closing = new();

    /// <summary>Copies the WAL into the database from a second connection, so the writer's thread only appends.
    /// PASSIVE never blocks the writer; the WAL restarts from its beginning once it has been fully copied.</summary>
    private void CheckpointLoop()
    {
        using var c = new SqliteConnection(_connectionString);
        c.Open();
        while (!_closing.Wait(TimeSpan.FromMilliseconds(500)))
        {
            try
            {
                using var cmd = c.CreateCommand();
                cmd.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
                cmd.ExecuteNonQuery();
            }
            catch (SqliteException)
            {
                // busy or closing: the next round tries again
            }
        }
    }

    public string DataDirectory { get; }

    public string DatabasePath { get; }

    public string RunFilePath(string runId) => Path.Combine(DataDirectory, "runs", runId + ".jsonl");

    private void Exec(string sql)
    {
        using var cmd = _write.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private void Check(int rc, string what)
    {
        if (rc is raw.SQLITE_OK or raw.SQLITE_DONE or raw.SQLITE_ROW) return;
        throw new IOException($"SQLite {what} failed in {DatabasePath}: {raw.sqlite3_errmsg(_write.Handle).utf8_to_string()} (code {rc})");
    }

    private void LoadRuns()
    {
        using var cmd = _write.CreateCommand();
        cmd.CommandText = "SELECT key, run_id, created, client, state, ended, first_no, last_no, record_count, loss_records, file_bytes, "
            + "first_ts, last_ts, stream FROM runs";
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            var row = new RunRow
            {
                Key = r.GetInt64(0), RunId = r.GetString(1), Created = DateTimeOffset.Parse(r.GetString(2), CultureInfo.InvariantCulture),
                Client = r.GetString(3), State = Enum.Parse<RunState>(r.GetString(4)),
                Ended = r.IsDBNull(5) ? null : DateTimeOffset.Parse(r.GetString(5), CultureInfo.InvariantCulture),
                FirstNo = r.GetInt64(6), LastNo = r.GetInt64(7), Count = r.GetInt64(8), Loss = r.GetInt64(9), FileBytes = r.GetInt64(10),
                FirstTs = r.IsDBNull(11) ? null : r.GetInt64(11), LastTs = r.IsDBNull(12) ? null : r.GetInt64(12), Stream = r.GetString(13),
            };
            _runs[row.RunId] = row;
        }
    }

    private void LoadNames()
    {
        lock (_names)
        {
            _names.Clear();
            using var cmd = _write.CreateCommand();
            cmd.CommandText = "SELECT id, text FROM names";
            using var r = cmd.ExecuteReader();
            while (r.Read()) _names[r.GetString(1)] = r.GetInt64(0);
        }
    }

    /// <summary>Brings every run file and its index back in line after a crash, and migrates a version 1 database (one row per
    /// record) by rebuilding every run's index from its file, in one transaction: a failed migration leaves the old database.</summary>
    private void Recover(bool migrate)
    {
        using var tx = _write.BeginTransaction();
        foreach (var run in _runs.Values)
        {
            if (run.State == RunState.Live) run.State = RunState.Interrupted;
            var path = RunFilePath(run.RunId);
            var length = File.Exists(path) ? new FileInfo(path).Length : 0;
            if (length > run.FileBytes)
            {
                using var fs = new FileStream(path, FileMode.Open, FileAccess.Write);
                fs.SetLength(run.FileBytes);
                length = run.FileBytes;
            }
            if (migrate || length < run.FileBytes) Reindex(run, path, length);
            SaveRun(run);
        }
        if (migrate) StoreSchema.DropPerRecordRows(_write);
        StoreSchema.StampVersion(_write);
        tx.Commit();
    }

    /// <summary>Rebuilds a run's index from the first <paramref name="length"/> bytes of its file, cut to the last whole line
    /// (the run file lost its tail to a power loss, or the database is being migrated).</summary>
    private void Reindex(RunRow run, string path, long length)
    {
        var whole = length == 0 ? 0 : WholeLines(path, length);
        using (var del = _write.CreateCommand())
        {
            del.CommandText = "DELETE FROM blocks WHERE run = $run; DELETE FROM run_counts WHERE run = $run; DELETE FROM run_procs WHERE run = $run";
            del.Parameters.AddWithValue("$run", run.Key);
            del.ExecuteNonQuery();
        }
        var tally = new RunTally(-1, -1, null, null);
        _index.Clear();
        if (whole > 0)
        {
            using var reader = new JsonLinesReader(new BoundedReadStream(File.OpenRead(path), whole), path);
            var r = new SyscallRecord();
            var pending = new SyscallRecord();
            long pendingOff = -1;
            while (reader.TryRead(r))
            {
                // a line ends where the next begins (the logger writes no blank lines); the last one at the whole length
                if (pendingOff >= 0) AddIndexed(pending, pendingOff, reader.RecordOffset, ref tally);
                pending.CopyFrom(r);
                pendingOff = reader.RecordOffset;
            }
            if (pendingOff >= 0) AddIndexed(pending, pendingOff, whole, ref tally);
        }
        _index.Close();
        SaveIndex(run.Key);
        run.FileBytes = whole;
        run.Count = tally.Count;
        run.Loss = tally.Loss;
        (run.FirstNo, run.LastNo, run.FirstTs, run.LastTs) = (tally.FirstNo, tally.LastNo, tally.FirstTs, tally.LastTs);
    }

    private void AddIndexed(SyscallRecord r, long lineOff, long lineEnd, ref RunTally tally)
    {
        _index.Add(r, NameId(r.ProcName), NameId(r.Name), lineOff, lineEnd);
        tally.Add(r);
    }

    /// <summary>Cuts the file after its last '\n' (at or before <paramref name="length"/>) and returns its new length.</summary>
    private static long WholeLines(string path, long length)
    {
        long whole = 0;
        using var h = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
        var buf = new byte[64 * 1024];
        for (var end = length; end > 0 && whole == 0;)
        {
            var start = Math.Max(0, end - buf.Length);
            var n = RandomAccess.Read(h, buf.AsSpan(0, (int)(end - start)), start);
            var nl = buf.AsSpan(0, n).LastIndexOf((byte)'\n');
            if (nl >= 0) whole = start + nl + 1;
            end = start;
        }
        RandomAccess.SetLength(h, whole);
        return whole;
    }

    private void SaveRun(RunRow run)
    {
        using var cmd = _write.CreateCommand();
        cmd.CommandText = """
            INSERT INTO runs(key, run_id, created, client, state, ended, first_no, last_no, record_count, loss_records, file_bytes,
                first_ts, last_ts, stream)
            VALUES($key, $id, $created, $client, $state, $ended, $first, $last, $count, $loss, $bytes, $fts, $lts, $stream)
            ON CONFLICT(key) DO UPDATE SET client=excluded.client, state=excluded.state, ended=excluded.ended, stream=excluded.stream,
              first_no=excluded.first_no, last_no=excluded.last_no, record_count=excluded.record_count,
              loss_records=excluded.loss_records, file_bytes=excluded.file_bytes, first_ts=excluded.first_ts, last_ts=excluded.last_ts
            """;
        cmd.Parameters.AddWithValue("$key", run.Key);
        cmd.Parameters.AddWithValue("$id", run.RunId);
        cmd.Parameters.AddWithValue("$created", run.Created.ToString("O", CultureInfo.InvariantCulture));
        cmd.Parameters.AddWithValue("$client", run.Client);
        cmd.Parameters.AddWithValue("$state", run.State.ToString());
        cmd.Parameters.AddWithValue("$ended", run.Ended is { } e ? e.ToString("O", CultureInfo.InvariantCulture) : DBNull.Value);
        cmd.Parameters.AddWithValue("$first", run.FirstNo);
        cmd.Parameters.AddWithValue("$last", run.LastNo);
        cmd.Parameters.AddWithValue("$count", run.Count);
        cmd.Parameters.AddWithValue("$loss", run.Loss);
        cmd.Parameters.AddWithValue("$bytes", run.FileBytes);
        cmd.Parameters.AddWithValue("$fts", run.FirstTs is { } f ? f : DBNull.Value);
        cmd.Parameters.AddWithValue("$lts", run.LastTs is { } l ? l : DBNull.Value);
        cmd.Parameters.AddWithValue("$stream", run.Stream);
        cmd.ExecuteNonQuery();
    }

    public RunInfo OpenRun(string runId, string client, string stream = "")
    {
        lock (_writeLock)
        lock (_runsLock)
        {
            if (!_runs.TryGetValue(runId, out var run))
            {
                var key = _runs.Count == 0 ? 1 : _runs.Values.Max(r => r.Key) + 1;
                run = new RunRow { Key = key, RunId = runId, Created = DateTimeOffset.UtcNow };
                _runs[runId] = run;
            }
            run.Client = client;
            run.Stream = stream;
            run.State = RunState.Live;
            run.Ended = null;
            SaveRun(run);
            return run.ToInfo();
        }
    }

    public RunInfo? FindRun(string runId)
    {
        lock (_runsLock) return _runs.TryGetValue(runId, out var r) ? r.ToInfo() : null;
    }

    public IReadOnlyList<RunInfo> ListRuns()
    {
        lock (_runsLock) return _runs.Values.OrderBy(r => r.Key).Select(r => r.ToInfo()).ToList();
    }

    public void EndRun(string runId, RunState state)
    {
        lock (_writeLock)
        lock (_runsLock)
        {
            if (!_runs.TryGetValue(runId, out var run)) return;
            run.State = state;
            run.Ended = DateTimeOffset.UtcNow;
            SaveRun(run);
            lock (_files)
            {
                // an ended run holds no file handle (a logger may keep thousands of runs); a reconnect reopens it
                if (_files.Remove(runId, out var f)) f.Dispose();
            }
        }
    }

    public void Commit(IReadOnlyList<RunAppend> appends)
    {
        lock (_writeLock)
        {
            try
            {
                CommitLocked(appends);
            }
            catch
            {
                LoadNames(); // names added in the failed transaction are not in the database
                CutToCommitted(appends.Select(a => a.RunId));
                throw;
            }
        }
    }

    /// <summary>After a failed commit the run files may hold lines past their committed length (written before the
    /// rows failed, or half-written when the disk filled): drop the file handles (their buffers may hold unwritten
    /// bytes that a later flush would put at a stale position) and cut each file back. Best effort: if this fails
    /// too, the committed length still bounds every read and the next open cuts the file.</summary>
    private void CutToCommitted(IEnumerable<string> runIds)
    {
        foreach (var runId in runIds.Distinct(StringComparer.Ordinal))
        {
            lock (_files)
                if (_files.Remove(runId, out var f))
                    try
                    {
                        f.Dispose();
                    }
                    catch (IOException)
                    {
                        // the buffered tail could not be written: it was never committed anyway
                    }
            CutFile(runId);
        }
    }

    private void CutFile(string runId)
    {
        long committed;
        lock (_runsLock)
        {
            if (!_runs.TryGetValue(runId, out var run)) return;
            committed = run.FileBytes;
        }
        try
        {
            var path = RunFilePath(runId);
            if (!File.Exists(path) || new FileInfo(path).Length <= committed) return;
            using var h = File.OpenHandle(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
            RandomAccess.SetLength(h, committed);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    private void CommitLocked(IReadOnlyList<RunAppend> appends)
    {
        // 1. the run files (on a pool thread, while this one inserts the rows); flushed before the rows that vouch for them commit
        var fileBases = new long[appends.Count];
        for (var i = 0; i < appends.Count; i++)
            lock (_runsLock) fileBases[i] = _runs[appends[i].RunId].FileBytes;
        var files = Task.Run(() => WriteRunFiles(appends, fileBases));
        try
        {
            InsertIndexAndCommit(appends, files);
        }
        finally
        {
            files.Wait(); // never leave a file write running past the commit (or its failure)
        }
    }

    private void WriteRunFiles(IReadOnlyList<RunAppend> appends, long[] fileBases)
    {
        for (var i = 0; i < appends.Count; i++)
        {
            var a = appends[i];
            RunRow run;
            lock (_runsLock) run = _runs[a.RunId];
            var file = RunFile(run);
            file.Position = fileBases[i];
            long bytes = 0;
            foreach (var slice in a.Slices)
            {
                var json = slice.Json;
                file.Write(json);
                bytes += json.Length;
            }
            if (file.Length != fileBases[i] + bytes) file.SetLength(fileBases[i] + bytes); // a failed commit's tail
            file.Flush(_synchronousFull);
        }
    }

    // loops over every record of a commit, called once per commit: optimized at once
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void InsertIndexAndCommit(IReadOnlyList<RunAppend> appends, Task files)
    {
        // 2. the block index, the counters and the run's values in one transaction
        using var tx = _write.BeginTransaction();
        var updates = new List<Action>(appends.Count);
        foreach (var a in appends)
        {
            RunRow run;
            lock (_runsLock) run = _runs[a.RunId];
            var off = run.FileBytes;
            var tally = new RunTally(run.FirstNo, run.LastNo, run.FirstTs, run.LastTs);
            _index.Clear();
            foreach (var slice in a.Slices)
            {
                var src = slice.Source;
                var sliceBase = off - src.LineStart(slice.Start);
                for (var i = 0; i < slice.Count; i++)
                {
                    var r = src.Records[slice.Start + i];
                    if (r.No is < 0 or > MaxNo || r.LastCoveredNo > MaxNo)
                        throw new ArgumentOutOfRangeException(nameof(appends), $"record no {r.No}..{r.LastCoveredNo} outside 0..{MaxNo}");
                    var line = slice.Start + i;
                    _index.Add(r, NameId(r.ProcName), NameId(r.Name), sliceBase + src.LineStart(line), sliceBase + src.LineEnd(line));
                    tally.Add(r);
                }
                off += slice.Json.Length;
            }
            _index.Close();
            SaveIndex(run.Key);
            var totalCount = run.Count + tally.Count;
            var lossTotal = run.Loss + tally.Loss;
            var fileBytes = off;
            var (firstNo, lastNo, firstTs, lastTs) = (tally.FirstNo, tally.LastNo, tally.FirstTs, tally.LastTs);
            SaveRunValues(run, firstNo, lastNo, totalCount, lossTotal, fileBytes, firstTs, lastTs);
            // the in-memory view (what a reconnecting tracer is told is durable) moves only after the commit
            updates.Add(() =>
            {
                run.FirstNo = firstNo;
                run.LastNo = lastNo;
                run.Count = totalCount;
                run.Loss = lossTotal;
                run.FileBytes = fileBytes;
                run.FirstTs = firstTs;
                run.LastTs = lastTs;
            });
        }
        files.GetAwaiter().GetResult(); // the lines are in the files (or this throws and nothing commits)
        tx.Commit();
        lock (_runsLock) foreach (var u in updates) u();
    }

    /// <summary>Writes what <see cref="_index"/> holds for run <paramref name="runKey"/>: its blocks, and its counters and
    /// process rows merged into those already stored. A few statements per commit, none per record.</summary>
    private void SaveIndex(long runKey)
    {
        using (var b = _write.CreateCommand())
        {
            b.CommandText = """
                INSERT INTO blocks(id, run, last_no, off, end_off, n, first_ts, last_ts, pid_mask, proc_mask, call_mask)
                VALUES($id, $run, $last, $off, $end, $n, $fts, $lts, $pm, $prm, $cm)
                """;
            var p = Parameters(b, "$id", "$run", "$last", "$off", "$end", "$n", "$fts", "$lts", "$pm", "$prm", "$cm");
            foreach (var block in _index.Blocks)
            {
                p[0].Value = (runKey << NoBits) | block.FirstNo;
                p[1].Value = runKey;
                p[2].Value = block.LastNo;
                p[3].Value = block.Off;
                p[4].Value = block.End;
                p[5].Value = block.Count;
                p[6].Value = block.FirstTs is { } f ? f : DBNull.Value;
                p[7].Value = block.LastTs is { } l ? l : DBNull.Value;
                p[8].Value = block.PidMask;
                p[9].Value = block.ProcMask;
                p[10].Value = block.CallMask;
                b.ExecuteNonQuery();
            }
        }
        using (var c = _write.CreateCommand())
        {
            c.CommandText = """
                INSERT INTO run_counts(run, kind, key, n) VALUES($run, $kind, $key, $n)
                ON CONFLICT(run, kind, key) DO UPDATE SET n = n + excluded.n
                """;
            var p = Parameters(c, "$run", "$kind", "$key", "$n");
            p[0].Value = runKey;
            void Save(int kind, long key, long n)
            {
                p[1].Value = kind;
                p[2].Value = key;
                p[3].Value = n;
                c.ExecuteNonQuery();
            }
            foreach (var (key, n) in _index.Calls) Save(StoreSchema.CallCounts, key, n);
            foreach (var (key, n) in _index.Procs) Save(StoreSchema.ProcCounts, key, n);
            for (var t = 0; t < _index.LogTypes.Length; t++)
                if (_index.LogTypes[t] > 0) Save(StoreSchema.LogTypeCounts, t, _index.LogTypes[t]);
        }
        using (var pr = _write.CreateCommand())
        {
            pr.CommandText = """
                INSERT INTO run_procs(run, pid, proc, ppid, first_no, last_no, n) VALUES($run, $pid, $proc, $ppid, $first, $last, $n)
                ON CONFLICT(run, pid, proc) DO UPDATE SET
                  ppid = CASE WHEN excluded.ppid IS NULL THEN ppid WHEN ppid IS NULL THEN excluded.ppid ELSE max(ppid, excluded.ppid) END,
                  last_no = excluded.last_no, n = n + excluded.n
                """;
            var p = Parameters(pr, "$run", "$pid", "$proc", "$ppid", "$first", "$last", "$n");
            p[0].Value = runKey;
            foreach (var ((pid, proc), t) in _index.Processes)
            {
                p[1].Value = (long)pid;
                p[2].Value = proc;
                p[3].Value = t.ParentPid is { } pp ? (long)pp : DBNull.Value;
                p[4].Value = t.FirstNo;
                p[5].Value = t.LastNo;
                p[6].Value = t.Records;
                pr.ExecuteNonQuery();
            }
        }
    }

    private static SqliteParameter[] Parameters(SqliteCommand cmd, params string[] names)
    {
        var p = names.Select(n => cmd.Parameters.Add(n, SqliteType.Integer)).ToArray();
        cmd.Prepare();
        return p;
    }

    private long NameId(string name)
    {
        if (_names.TryGetValue(name, out var id)) return id;
        lock (_names)
        {
            id = _names.Count + 1;
            raw.sqlite3_bind_int64(_insertName, 1, id);
            raw.sqlite3_bind_text(_insertName, 2, name);
            var rc = raw.sqlite3_step(_insertName);
            raw.sqlite3_reset(_insertName);
            if (rc != raw.SQLITE_DONE) Check(rc, "insert name");
            _names[name] = id;
        }
        return id;
    }

    private long? FindNameId(string name)
    {
        lock (_names) return _names.TryGetValue(name, out var id) ? id : null;
    }

    private void SaveRunValues(RunRow run, long firstNo, long lastNo, long count, long loss, long bytes, long? firstTs, long? lastTs)
    {
        using var cmd = _write.CreateCommand();
        cmd.CommandText = """
            UPDATE runs SET first_no=$first, last_no=$last, record_count=$count, loss_records=$loss, file_bytes=$bytes,
              first_ts=$fts, last_ts=$lts WHERE key=$key
            """;
        cmd.Parameters.AddWithValue("$key", run.Key);
        cmd.Parameters.AddWithValue("$first", firstNo);
        cmd.Parameters.AddWithValue("$last", lastNo);
        cmd.Parameters.AddWithValue("$count", count);
        cmd.Parameters.AddWithValue("$loss", loss);
        cmd.Parameters.AddWithValue("$bytes", bytes);
        cmd.Parameters.AddWithValue("$fts", firstTs is { } f ? f : DBNull.Value);
        cmd.Parameters.AddWithValue("$lts", lastTs is { } l ? l : DBNull.Value);
        cmd.ExecuteNonQuery();
    }

    private FileStream RunFile(RunRow run)
    {
        lock (_files)
        {
            if (_files.TryGetValue(run.RunId, out var f)) return f;
            f = new FileStream(RunFilePath(run.RunId), FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read, 1 << 16);
            _files[run.RunId] = f;
            return f;
        }
    }

    private SqliteConnection OpenRead()
    {
        var c = new SqliteConnection(_connectionString);
        c.Open();
        return c;
    }

    private RunRow Run(string runId)
    {
        lock (_runsLock)
            return _runs.TryGetValue(runId, out var r) ? r : throw new KeyNotFoundException($"no run '{runId}'");
    }

    /// <summary>Seeks to the first block the query can want (the last one starting at or before <c>AfterNo + 1</c>, or the
    /// newest), skips blocks whose Bloom masks rule the filter out, and scans the others' lines.</summary>
    public IReadOnlyList<string> ReadJson(string runId, RecordQuery query)
    {
        var run = Run(runId);
        long committed;
        lock (_runsLock) committed = run.FileBytes;
        var result = new List<string>();
        if (committed == 0) return result;
        long? procId = null, callId = null;
        if (!string.IsNullOrEmpty(query.ProcName))
        {
            if (FindNameId(query.ProcName) is not { } id) return result;
            procId = id;
        }
        if (!string.IsNullOrEmpty(query.CallName))
        {
            if (FindNameId(query.CallName) is not { } id) return result;
            callId = id;
        }
        var limit = Math.Clamp(query.Limit, 1, 10_000);
        var runLo = run.Key << NoBits;
        var lo = runLo;
        var hi = runLo | MaxNo;
        if (query.BeforeNo is { } before)
        {
            if (before <= 0) return result;
            hi = Math.Min(hi, runLo | Math.Min(before - 1, MaxNo));
        }
        using var c = OpenRead();
        if (query.AfterNo is { } after && after >= 0)
        {
            if (after >= MaxNo) return result;
            using var seek = c.CreateCommand();
            seek.CommandText = "SELECT max(id) FROM blocks WHERE id BETWEEN $lo AND $at";
            seek.Parameters.AddWithValue("$lo", runLo);
            seek.Parameters.AddWithValue("$at", runLo | (after + 1));
            if (seek.ExecuteScalar() is long start) lo = start;
        }
        using var cmd = c.CreateCommand();
        var where = new StringBuilder("id BETWEEN $lo AND $hi");
        cmd.Parameters.AddWithValue("$lo", lo);
        cmd.Parameters.AddWithValue("$hi", hi);
        if (query.Pid is { } pid) Mask(where, cmd, "pid_mask", BlockIndexBuilder.Bit(pid));
        if (procId is { } p) Mask(where, cmd, "proc_mask", BlockIndexBuilder.Bit((ulong)p));
        if (callId is { } k) Mask(where, cmd, "call_mask", BlockIndexBuilder.Bit((ulong)k));
        cmd.CommandText = $"SELECT id, last_no, off, end_off, n FROM blocks WHERE {where} ORDER BY id {(query.Newest ? "DESC" : "ASC")}";
        using SafeFileHandle h = File.OpenHandle(RunFilePath(run.RunId), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        bool Matches(SyscallRecord r) =>
            (query.Pid is not { } want || r.Pid == want)
            && (string.IsNullOrEmpty(query.ProcName) || r.ProcName == query.ProcName)
            && (string.IsNullOrEmpty(query.CallName) || r.Name == query.CallName);
        var scanner = new BlockScanner(h, committed, query, procId, callId);
        using (var r = cmd.ExecuteReader())
            while (r.Read())
            {
                var block = new BlockRow(r.GetInt64(0) & MaxNo, r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt32(4),
                    null, null, 0, 0, 0);
                if (query.Newest && query.AfterNo is { } a && block.LastNo <= a) break;
                if (!scanner.Scan(block, result, limit, Matches)) break;
            }
        if (query.Newest) result.Reverse();
        return result;
    }

    private static void Mask(StringBuilder where, SqliteCommand cmd, string column, long bit)
    {
        var name = "$" + column;
        where.Append(CultureInfo.InvariantCulture, $" AND ({column} & {name}) != 0");
        cmd.Parameters.AddWithValue(name, bit);
    }

    public Stream OpenRunJsonLines(string runId)
    {
        var run = Run(runId);
        long committed;
        lock (_runsLock) committed = run.FileBytes;
        var path = RunFilePath(runId);
        if (!File.Exists(path)) return new MemoryStream();
        var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
        return new BoundedReadStream(fs, committed);
    }

    public RunStatistics Statistics(string runId)
    {
        var run = Run(runId);
        var info = FindRun(runId)!;
        using var c = OpenRead();
        List<CountBy> Group(int kind)
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = """
                SELECT names.text, g.n FROM run_counts g JOIN names ON names.id = g.key
                WHERE g.run = $run AND g.kind = $kind ORDER BY g.n DESC, names.text LIMIT 50
                """;
            cmd.Parameters.AddWithValue("$run", run.Key);
            cmd.Parameters.AddWithValue("$kind", kind);
            using var r = cmd.ExecuteReader();
            var list = new List<CountBy>();
            while (r.Read()) list.Add(new CountBy(r.GetString(0), r.GetInt64(1)));
            return list;
        }
        var calls = Group(StoreSchema.CallCounts);
        var procs = Group(StoreSchema.ProcCounts);
        using var t = c.CreateCommand();
        t.CommandText = "SELECT key, n FROM run_counts WHERE run = $run AND kind = $kind";
        t.Parameters.AddWithValue("$run", run.Key);
        t.Parameters.AddWithValue("$kind", StoreSchema.LogTypeCounts);
        var types = new Dictionary<long, long>();
        using (var r = t.ExecuteReader())
            while (r.Read()) types[r.GetInt64(0)] = r.GetInt64(1);
        return new RunStatistics(info, calls, procs, types.GetValueOrDefault(0), types.GetValueOrDefault(1), types.GetValueOrDefault(2));
    }

    public IReadOnlyList<RunProcess> Processes(string runId)
    {
        var run = Run(runId);
        using var c = OpenRead();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            SELECT p.pid, p.ppid, names.text, p.first_no, p.last_no, p.n FROM run_procs p
            JOIN names ON names.id = p.proc WHERE p.run = $run ORDER BY p.first_no
            """;
        cmd.Parameters.AddWithValue("$run", run.Key);
        using var r = cmd.ExecuteReader();
        var list = new List<RunProcess>();
        while (r.Read())
            list.Add(new RunProcess((ulong)r.GetInt64(0), r.IsDBNull(1) ? null : (ulong)r.GetInt64(1), r.GetString(2),
                r.GetInt64(3), r.GetInt64(4), r.GetInt64(5)));
        return list;
    }

    public void Dispose()
    {
        _closing.Set();
        _checkpointer?.Join();
        lock (_writeLock)
        {
            var open = _files.Keys.ToList();
            foreach (var f in _files.Values)
                try
                {
                    f.Dispose();
                }
                catch (IOException)
                {
                }
            _files.Clear();
            // a clean stop leaves every run file at its committed length (a failed commit's lines are not kept)
            foreach (var runId in open) CutFile(runId);
            _insertName?.Dispose();
            _write.Dispose();
        }
    }
}

/// <summary>Reads a stream up to a fixed length (a run file's committed part).</summary>
internal sealed class BoundedReadStream(Stream inner, long limit) : Stream
{
    private readonly long _limit = limit;
    private long _left = limit;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => _limit;
    public override long Position { get => _limit - _left; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_left <= 0) return 0;
        var n = inner.Read(buffer[..(int)Math.Min(buffer.Length, _left)]);
        _left -= n;
        return n;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
