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
/// each once); <c>DIR/alkanet-logger.db</c> (SQLite, WAL) is the index over them: a <c>runs</c> table and one
/// <c>records</c> row per record (run, logtype, pid, ppid, process and call name ids, time, and the byte offset of
/// the record's line in the run file), indexed on (run, pid), (run, call) and (run, ts); the view
/// <c>record_rows</c> shows them with names. A record's row id is <c>run_key &lt;&lt; 40 | no</c>, so a run is one
/// ordered range of the primary key and a <c>no</c> cannot be stored twice.
/// <para>Crash safety: a commit appends the lines to the run file first (flushed to the OS; fsynced with
/// <c>synchronousFull</c>), then inserts the rows and the file's new committed length in one transaction. On
/// open, a file longer than its committed length is cut back (that tail was never acknowledged); a shorter one
/// (power loss without fsync) loses its rows past the last whole line, and the run's last <c>no</c> moves back,
/// so a reconnecting tracer learns what is really durable.</para>
/// </summary>
public sealed class SqliteRunStore : IRunStore
{
    private const int NoBits = 40;
    private const long MaxNo = Wire.WireLimits.MaxRecordNo;
    private readonly string _connectionString;
    private readonly bool _synchronousFull;
    private readonly SqliteConnection _write;
    private readonly sqlite3_stmt _insert = null!;
    private readonly sqlite3_stmt _insertMany = null!;
    private const int RowsPerInsert = 32;
    private readonly Row[] _rows = new Row[RowsPerInsert];
    private int _rowCount;

    private struct Row
    {
        public long Id, Run, LogType, Pid, Ppid, Proc, Call, Ts, Off;
        public bool HasPpid, HasTs;
    }
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
        Exec("""
            CREATE TABLE IF NOT EXISTS runs(
              key INTEGER PRIMARY KEY, run_id TEXT NOT NULL UNIQUE, created TEXT NOT NULL, client TEXT NOT NULL,
              state TEXT NOT NULL, ended TEXT, first_no INTEGER NOT NULL DEFAULT -1, last_no INTEGER NOT NULL DEFAULT -1,
              record_count INTEGER NOT NULL DEFAULT 0, loss_records INTEGER NOT NULL DEFAULT 0,
              file_bytes INTEGER NOT NULL DEFAULT 0, first_ts INTEGER, last_ts INTEGER, stream TEXT NOT NULL DEFAULT '');
            CREATE TABLE IF NOT EXISTS names(id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);
            CREATE TABLE IF NOT EXISTS records(
              id INTEGER PRIMARY KEY, run INTEGER NOT NULL, logtype INTEGER NOT NULL, pid INTEGER NOT NULL, ppid INTEGER,
              proc INTEGER NOT NULL, call INTEGER NOT NULL, ts INTEGER, off INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS records_run_pid ON records(run, pid);
            CREATE INDEX IF NOT EXISTS records_run_call ON records(run, call);
            CREATE INDEX IF NOT EXISTS records_run_ts ON records(run, ts);
            CREATE VIEW IF NOT EXISTS record_rows AS
              SELECT runs.run_id AS run_id, r.id & 1099511627775 AS no, r.logtype AS logtype, r.pid AS pid, r.ppid AS ppid,
                     p.text AS proc_name, c.text AS name, r.ts AS ts, r.off AS file_offset
              FROM records r JOIN runs ON runs.key = r.run JOIN names p ON p.id = r.proc JOIN names c ON c.id = r.call;
            """);
        Check(raw.sqlite3_prepare_v2(_write.Handle, """
            INSERT OR IGNORE INTO records(id, run, logtype, pid, ppid, proc, call, ts, off) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
            """, out _insert), "prepare insert");
        Check(raw.sqlite3_prepare_v2(_write.Handle, "INSERT OR IGNORE INTO records(id, run, logtype, pid, ppid, proc, call, ts, off) VALUES" +
            string.Join(',', Enumerable.Range(0, RowsPerInsert)
                .Select(i => "(" + string.Join(',', Enumerable.Range(i * 9 + 1, 9).Select(k => "?" + k)) + ")")),
            out _insertMany), "prepare multi-row insert");
        Check(raw.sqlite3_prepare_v2(_write.Handle, "INSERT INTO names(id, text) VALUES(?1, ?2)", out _insertName), "prepare name insert");
        LoadRuns();
        LoadNames();
        try
        {
            Recover();
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

    /// <summary>Brings every run file and its rows back in line after a crash.</summary>
    private void Recover()
    {
        foreach (var run in _runs.Values)
        {
            if (run.State == RunState.Live) run.State = RunState.Interrupted;
            var path = RunFilePath(run.RunId);
            var length = File.Exists(path) ? new FileInfo(path).Length : 0;
            if (length > run.FileBytes)
            {
                using var fs = new FileStream(path, FileMode.Open, FileAccess.Write);
                fs.SetLength(run.FileBytes);
            }
            else if (length < run.FileBytes)
            {
                TrimToFile(run, path, length);
            }
            SaveRun(run);
        }
    }

    /// <summary>The run file lost its tail (power loss): keep only rows whose lines are whole in the file.</summary>
    private void TrimToFile(RunRow run, string path, long length)
    {
        long whole = 0;
        if (length > 0)
        {
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
        }
        using (var del = _write.CreateCommand())
        {
            del.CommandText = "DELETE FROM records WHERE run = $run AND off >= $whole";
            del.Parameters.AddWithValue("$run", run.Key);
            del.Parameters.AddWithValue("$whole", whole);
            del.ExecuteNonQuery();
        }
        using (var q = _write.CreateCommand())
        {
            q.CommandText = "SELECT count(*), max(ts) FROM records WHERE run = $run";
            q.Parameters.AddWithValue("$run", run.Key);
            using var r = q.ExecuteReader();
            r.Read();
            run.Count = r.GetInt64(0);
            run.LastTs = r.IsDBNull(1) ? null : r.GetInt64(1);
        }
        run.FileBytes = whole;
        run.FirstNo = run.LastNo = -1;
        if (run.Count == 0) return;
        using var last = _write.CreateCommand();
        last.CommandText = "SELECT id, off FROM records WHERE run = $run ORDER BY id DESC LIMIT 1";
        last.Parameters.AddWithValue("$run", run.Key);
        long id, off;
        using (var r = last.ExecuteReader())
        {
            r.Read();
            id = r.GetInt64(0);
            off = r.GetInt64(1);
        }
        using (var first = _write.CreateCommand())
        {
            first.CommandText = "SELECT min(id) FROM records WHERE run = $run";
            first.Parameters.AddWithValue("$run", run.Key);
            run.FirstNo = (long)first.ExecuteScalar()! & MaxNo;
        }
        // a trailing LOSS marker covers more than its own number
        var lastLine = ReadLines(run, [(id, off)]);
        run.LastNo = lastLine.Count == 1 ? RecordJson.Parse(lastLine[0]).LastCoveredNo : id & MaxNo;
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
            InsertRowsAndCommit(appends, files);
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

    private void InsertRowsAndCommit(IReadOnlyList<RunAppend> appends, Task files)
    {
        // 2. rows + run counters in one transaction
        _rowCount = 0; // nothing left over from a commit that failed half-way
        using var tx = _write.BeginTransaction();
        var updates = new List<Action>(appends.Count);
        foreach (var a in appends)
        {
            RunRow run;
            lock (_runsLock) run = _runs[a.RunId];
            var off = run.FileBytes;
            var tally = new RunTally(run.FirstNo, run.LastNo, run.FirstTs, run.LastTs);
            foreach (var slice in a.Slices)
            {
                var src = slice.Source;
                var sliceBase = src.LineStart(slice.Start);
                for (var i = 0; i < slice.Count; i++)
                {
                    var r = src.Records[slice.Start + i];
                    if (r.No is < 0 or > MaxNo || r.LastCoveredNo > MaxNo)
                        throw new ArgumentOutOfRangeException(nameof(appends), $"record no {r.No}..{r.LastCoveredNo} outside 0..{MaxNo}");
                    ref var row = ref _rows[_rowCount++];
                    row.Id = (run.Key << NoBits) | r.No;
                    row.Run = run.Key;
                    row.LogType = (long)r.LogType;
                    row.Pid = (long)r.Pid;
                    row.HasPpid = r.ParentPid.HasValue;
                    row.Ppid = (long)r.ParentPid.GetValueOrDefault();
                    row.Proc = NameId(r.ProcName);
                    row.Call = NameId(r.Name);
                    row.HasTs = r.TimestampNs.HasValue;
                    row.Ts = r.TimestampNs.GetValueOrDefault();
                    row.Off = off + src.LineStart(slice.Start + i) - sliceBase;
                    if (_rowCount == RowsPerInsert) FlushRows();
                    tally.Add(r);
                }
                off += slice.Json.Length;
            }
            FlushRows();
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

    /// <summary>Inserts the buffered rows: 32 at a time through one statement (fewer VM starts per row), the rest singly.</summary>
    private void FlushRows()
    {
        if (_rowCount == 0) return;
        try
        {
            if (_rowCount == RowsPerInsert)
            {
                var m = _insertMany.DangerousGetHandle();
                for (var i = 0; i < RowsPerInsert; i++) BindRow(m, i * 9, in _rows[i]);
                Step(m);
                return;
            }
            var s = _insert.DangerousGetHandle();
            for (var i = 0; i < _rowCount; i++)
            {
                BindRow(s, 0, in _rows[i]);
                Step(s);
            }
        }
        finally
        {
            _rowCount = 0;
        }
    }

    private static void BindRow(IntPtr s, int b, in Row row)
    {
        NativeSqlite.BindInt64(s, b + 1, row.Id);
        NativeSqlite.BindInt64(s, b + 2, row.Run);
        NativeSqlite.BindInt64(s, b + 3, row.LogType);
        NativeSqlite.BindInt64(s, b + 4, row.Pid);
        if (row.HasPpid) NativeSqlite.BindInt64(s, b + 5, row.Ppid); else NativeSqlite.BindNull(s, b + 5);
        NativeSqlite.BindInt64(s, b + 6, row.Proc);
        NativeSqlite.BindInt64(s, b + 7, row.Call);
        if (row.HasTs) NativeSqlite.BindInt64(s, b + 8, row.Ts); else NativeSqlite.BindNull(s, b + 8);
        NativeSqlite.BindInt64(s, b + 9, row.Off);
    }

    private void Step(IntPtr stmt)
    {
        var rc = NativeSqlite.Step(stmt);
        NativeSqlite.Reset(stmt);
        if (rc != raw.SQLITE_DONE) Check(rc, "insert records");
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

    public IReadOnlyList<string> ReadJson(string runId, RecordQuery query)
    {
        var run = Run(runId);
        var key = run.Key;
        using var c = OpenRead();
        using var cmd = c.CreateCommand();
        var where = new StringBuilder("id BETWEEN $lo AND $hi");
        var lo = key << NoBits;
        var hi = (key << NoBits) | MaxNo;
        if (query.AfterNo is { } after) lo = Math.Max(lo, (key << NoBits) | Math.Clamp(after + 1, 0, MaxNo));
        if (query.BeforeNo is { } before) hi = Math.Min(hi, (key << NoBits) | Math.Clamp(before - 1, 0, MaxNo));
        cmd.Parameters.AddWithValue("$lo", lo);
        cmd.Parameters.AddWithValue("$hi", hi);
        cmd.Parameters.AddWithValue("$run", key);
        if (query.Pid is { } pid)
        {
            where.Append(" AND run = $run AND pid = $pid");
            cmd.Parameters.AddWithValue("$pid", (long)pid);
        }
        if (!string.IsNullOrEmpty(query.ProcName))
        {
            if (FindNameId(query.ProcName) is not { } procId) return [];
            where.Append(" AND proc = $proc");
            cmd.Parameters.AddWithValue("$proc", procId);
        }
        if (!string.IsNullOrEmpty(query.CallName))
        {
            if (FindNameId(query.CallName) is not { } callId) return [];
            where.Append(" AND run = $run AND call = $call");
            cmd.Parameters.AddWithValue("$call", callId);
        }
        cmd.CommandText = $"SELECT id, off FROM records WHERE {where} ORDER BY id {(query.Newest ? "DESC" : "ASC")} LIMIT $limit";
        cmd.Parameters.AddWithValue("$limit", Math.Clamp(query.Limit, 1, 10_000));
        var rows = new List<(long Id, long Off)>();
        using (var r = cmd.ExecuteReader())
            while (r.Read()) rows.Add((r.GetInt64(0), r.GetInt64(1)));
        if (query.Newest) rows.Reverse();
        return ReadLines(run, rows.Select(x => (x.Id, x.Off)).ToList());
    }

    /// <summary>Reads the lines at the given offsets of the run file (only below its committed length).</summary>
    private List<string> ReadLines(RunRow run, List<(long Id, long Off)> rows)
    {
        var result = new List<string>(rows.Count);
        if (rows.Count == 0) return result;
        long committed;
        lock (_runsLock) committed = run.FileBytes;
        using SafeFileHandle h = File.OpenHandle(RunFilePath(run.RunId), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var buf = new byte[16 * 1024];
        foreach (var (_, off) in rows)
        {
            if (off >= committed) break;
            var got = 0;
            while (true)
            {
                var n = RandomAccess.Read(h, buf.AsSpan(got, (int)Math.Min(buf.Length - got, committed - off - got)), off + got);
                var nl = buf.AsSpan(got, n).IndexOf((byte)'\n');
                if (nl >= 0)
                {
                    result.Add(Encoding.UTF8.GetString(buf, 0, got + nl));
                    break;
                }
                got += n;
                if (n == 0 || off + got >= committed) break; // torn line: never counted as committed
                if (got == buf.Length) Array.Resize(ref buf, buf.Length * 2);
            }
        }
        return result;
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
        List<CountBy> Group(string column)
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"""
                SELECT names.text, g.n FROM (SELECT {column} AS k, count(*) AS n FROM records WHERE run = $run GROUP BY {column}) g
                JOIN names ON names.id = g.k ORDER BY g.n DESC LIMIT 50
                """;
            cmd.Parameters.AddWithValue("$run", run.Key);
            using var r = cmd.ExecuteReader();
            var list = new List<CountBy>();
            while (r.Read()) list.Add(new CountBy(r.GetString(0), r.GetInt64(1)));
            return list;
        }
        var calls = Group("call");
        var procs = Group("proc");
        using var t = c.CreateCommand();
        t.CommandText = "SELECT logtype, count(*) FROM records WHERE run = $run GROUP BY logtype";
        t.Parameters.AddWithValue("$run", run.Key);
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
            SELECT g.pid, g.ppid, names.text, g.first, g.last, g.n FROM
              (SELECT pid, max(ppid) AS ppid, proc, min(id) AS first, max(id) AS last, count(*) AS n
               FROM records WHERE run = $run AND logtype != 2 GROUP BY pid, proc) g
            JOIN names ON names.id = g.proc ORDER BY g.first
            """;
        cmd.Parameters.AddWithValue("$run", run.Key);
        using var r = cmd.ExecuteReader();
        var list = new List<RunProcess>();
        while (r.Read())
            list.Add(new RunProcess((ulong)r.GetInt64(0), r.IsDBNull(1) ? null : (ulong)r.GetInt64(1), r.GetString(2),
                r.GetInt64(3) & MaxNo, r.GetInt64(4) & MaxNo, r.GetInt64(5)));
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
            _insert?.Dispose();
            _insertMany?.Dispose();
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
