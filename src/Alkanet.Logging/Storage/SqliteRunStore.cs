using System.Buffers;
using System.Globalization;
using System.Text;
using Alkanet.Core.Json;
using Alkanet.Core.Records;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Alkanet.Logging.Storage;

/// <summary>
/// The embedded store: <c>DIR/alkanet-logger.db</c> (SQLite, WAL) holds a <c>runs</c> table and every record
/// (indexed columns + the record's JSON), and <c>DIR/runs/RUN.jsonl</c> holds each run as JSON Lines.
/// A record's row id is <c>run_key &lt;&lt; 40 | no</c>, so a run's records are one contiguous, ordered range of
/// the primary key and a duplicate <c>no</c> cannot be stored twice.
/// Crash safety: a commit appends to the run file first (flushed to the OS), then inserts the rows and the
/// file's new length in one transaction. On open, a file longer than its recorded length is cut back (the
/// tail was never acknowledged); a shorter one (power loss) is rewritten from the database.
/// </summary>
public sealed class SqliteRunStore : IRunStore
{
    private const int NoBits = 40;
    private const long MaxNo = (1L << NoBits) - 1;
    private readonly string _dbPath;
    private readonly string _connectionString;
    private readonly SqliteConnection _write;
    private readonly sqlite3_stmt _insert;
    private readonly Dictionary<string, RunRow> _runs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FileStream> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, byte[]> _utf8 = new(StringComparer.Ordinal);
    private readonly RecordJsonWriter _json = new();
    private readonly ArrayBufferWriter<byte> _buffer = new(4 << 20);
    private readonly List<int> _ends = [];
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

        public RunInfo ToInfo() => new(RunId, Created, FirstNo, LastNo, Count, Loss, Client, State, Ended, FirstTs, LastTs);
    }

    static SqliteRunStore() => Batteries_V2.Init();

    /// <param name="directory">The logger's data directory (created if missing).</param>
    /// <param name="synchronousFull">fsync every commit (survives power loss); the default NORMAL survives a killed logger.</param>
    /// <param name="readOnly">Open an existing store for reading only (export while a logger may be running): no recovery, no writes.</param>
    public SqliteRunStore(string directory, bool synchronousFull = false, bool readOnly = false)
    {
        DataDirectory = Path.GetFullPath(directory);
        _dbPath = Path.Combine(DataDirectory, "alkanet-logger.db");
        if (readOnly)
        {
            if (!File.Exists(_dbPath)) throw new IOException($"no logger database at {_dbPath}");
            _connectionString = new SqliteConnectionStringBuilder { DataSource = _dbPath, Mode = SqliteOpenMode.ReadOnly, Pooling = true }.ToString();
            _write = new SqliteConnection(_connectionString);
            _write.Open();
            _insert = null!;
            LoadRuns();
            return;
        }
        Directory.CreateDirectory(directory);
        Directory.CreateDirectory(Path.Combine(directory, "runs"));
        _connectionString = new SqliteConnectionStringBuilder { DataSource = _dbPath, Pooling = true }.ToString();
        _write = new SqliteConnection(_connectionString);
        _write.Open();
        Exec("PRAGMA journal_mode=WAL");
        Exec(synchronousFull ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
        Exec("PRAGMA cache_size=-65536");
        Exec("PRAGMA temp_store=MEMORY");
        Exec("PRAGMA wal_autocheckpoint=20000");
        Exec("""
            CREATE TABLE IF NOT EXISTS runs(
              key INTEGER PRIMARY KEY, run_id TEXT NOT NULL UNIQUE, created TEXT NOT NULL, client TEXT NOT NULL,
              state TEXT NOT NULL, ended TEXT, first_no INTEGER NOT NULL DEFAULT -1, last_no INTEGER NOT NULL DEFAULT -1,
              record_count INTEGER NOT NULL DEFAULT 0, loss_records INTEGER NOT NULL DEFAULT 0,
              file_bytes INTEGER NOT NULL DEFAULT 0, first_ts INTEGER, last_ts INTEGER);
            CREATE TABLE IF NOT EXISTS records(
              id INTEGER PRIMARY KEY, run INTEGER NOT NULL, no INTEGER NOT NULL, cpu INTEGER NOT NULL,
              logtype INTEGER NOT NULL, pid INTEGER NOT NULL, tid INTEGER NOT NULL, ppid INTEGER,
              proc_name TEXT NOT NULL, name TEXT NOT NULL, ret_val INTEGER NOT NULL, ts INTEGER, json TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS records_run_pid ON records(run, pid);
            CREATE INDEX IF NOT EXISTS records_run_name ON records(run, name);
            CREATE INDEX IF NOT EXISTS records_run_ts ON records(run, ts);
            """);
        Check(raw.sqlite3_prepare_v2(_write.Handle, """
            INSERT OR IGNORE INTO records(id, run, no, cpu, logtype, pid, tid, ppid, proc_name, name, ret_val, ts, json)
            VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
            """, out _insert), "prepare insert");
        LoadRuns();
        Recover();
    }

    public string DataDirectory { get; }

    public string DatabasePath => _dbPath;

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
        throw new IOException($"SQLite {what} failed in {_dbPath}: {raw.sqlite3_errmsg(_write.Handle).utf8_to_string()} (code {rc})");
    }

    private void LoadRuns()
    {
        using var cmd = _write.CreateCommand();
        cmd.CommandText = "SELECT key, run_id, created, client, state, ended, first_no, last_no, record_count, loss_records, file_bytes, first_ts, last_ts FROM runs";
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            var row = new RunRow
            {
                Key = r.GetInt64(0), RunId = r.GetString(1), Created = DateTimeOffset.Parse(r.GetString(2), CultureInfo.InvariantCulture),
                Client = r.GetString(3), State = Enum.Parse<RunState>(r.GetString(4)),
                Ended = r.IsDBNull(5) ? null : DateTimeOffset.Parse(r.GetString(5), CultureInfo.InvariantCulture),
                FirstNo = r.GetInt64(6), LastNo = r.GetInt64(7), Count = r.GetInt64(8), Loss = r.GetInt64(9), FileBytes = r.GetInt64(10),
                FirstTs = r.IsDBNull(11) ? null : r.GetInt64(11), LastTs = r.IsDBNull(12) ? null : r.GetInt64(12),
            };
            _runs[row.RunId] = row;
        }
    }

    /// <summary>Brings every run file back in line with the database after a crash.</summary>
    private void Recover()
    {
        foreach (var run in _runs.Values)
        {
            if (run.State == RunState.Live)
            {
                run.State = RunState.Interrupted;
                SaveRun(run);
            }
            var path = RunFilePath(run.RunId);
            var length = File.Exists(path) ? new FileInfo(path).Length : 0;
            if (length == run.FileBytes) continue;
            if (length > run.FileBytes)
            {
                using var fs = new FileStream(path, FileMode.Open, FileAccess.Write);
                fs.SetLength(run.FileBytes);
                continue;
            }
            using (var fs = new FileStream(path, FileMode.Create, FileAccess.Write))
            {
                foreach (var line in ReadAllJson(run.RunId))
                {
                    fs.Write(Encoding.UTF8.GetBytes(line));
                    fs.WriteByte((byte)'\n');
                }
                run.FileBytes = fs.Length;
            }
            SaveRun(run);
        }
    }

    private void SaveRun(RunRow run)
    {
        using var cmd = _write.CreateCommand();
        cmd.CommandText = """
            INSERT INTO runs(key, run_id, created, client, state, ended, first_no, last_no, record_count, loss_records, file_bytes, first_ts, last_ts)
            VALUES($key, $id, $created, $client, $state, $ended, $first, $last, $count, $loss, $bytes, $fts, $lts)
            ON CONFLICT(key) DO UPDATE SET client=excluded.client, state=excluded.state, ended=excluded.ended,
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
        cmd.ExecuteNonQuery();
    }

    public RunInfo OpenRun(string runId, string client)
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
        }
    }

    public void Commit(IReadOnlyList<RunAppend> appends)
    {
        lock (_writeLock) CommitLocked(appends);
    }

    private void CommitLocked(IReadOnlyList<RunAppend> appends)
    {
        // 1. the run files, flushed to the OS before the rows that vouch for them commit
        var plans = new List<(RunRow Run, RunAppend Append, byte[] Json, int[] Ends)>(appends.Count);
        foreach (var a in appends)
        {
            if (a.Count == 0) continue;
            RunRow run;
            lock (_runsLock) run = _runs[a.RunId];
            _buffer.ResetWrittenCount();
            _ends.Clear();
            for (var i = 0; i < a.Count; i++)
            {
                var r = a.Records[i];
                if (r.No is < 0 or > MaxNo) throw new ArgumentOutOfRangeException(nameof(appends), $"record no {r.No} outside 0..{MaxNo}");
                _json.Write(r, _buffer);
                _ends.Add(_buffer.WrittenCount);
                _buffer.GetSpan(1)[0] = (byte)'\n';
                _buffer.Advance(1);
            }
            var json = _buffer.WrittenSpan.ToArray();
            var file = RunFile(run);
            file.Position = run.FileBytes;
            file.Write(json);
            if (file.Length != run.FileBytes + json.Length) file.SetLength(run.FileBytes + json.Length); // a failed commit's tail
            file.Flush();
            plans.Add((run, a, json, _ends.ToArray()));
        }
        if (plans.Count == 0) return;

        // 2. rows + run counters in one transaction
        using var tx = _write.BeginTransaction();
        var updates = new List<Action>(plans.Count);
        foreach (var (run, append, json, ends) in plans)
        {
            long loss = 0;
            long? firstTs = run.FirstTs, lastTs = run.LastTs;
            var start = 0;
            for (var i = 0; i < append.Count; i++)
            {
                var r = append.Records[i];
                var s = _insert;
                raw.sqlite3_bind_int64(s, 1, (run.Key << NoBits) | r.No);
                raw.sqlite3_bind_int64(s, 2, run.Key);
                raw.sqlite3_bind_int64(s, 3, r.No);
                raw.sqlite3_bind_int64(s, 4, r.CpuId);
                raw.sqlite3_bind_int64(s, 5, (long)r.LogType);
                raw.sqlite3_bind_int64(s, 6, (long)r.Pid);
                raw.sqlite3_bind_int64(s, 7, (long)r.Tid);
                if (r.ParentPid is { } pp) raw.sqlite3_bind_int64(s, 8, (long)pp); else raw.sqlite3_bind_null(s, 8);
                raw.sqlite3_bind_text(s, 9, Utf8(r.ProcName));
                raw.sqlite3_bind_text(s, 10, Utf8(r.Name));
                raw.sqlite3_bind_int64(s, 11, (long)r.RetVal);
                if (r.TimestampNs is { } ts) raw.sqlite3_bind_int64(s, 12, ts); else raw.sqlite3_bind_null(s, 12);
                raw.sqlite3_bind_text(s, 13, json.AsSpan(start, ends[i] - start));
                start = ends[i] + 1;
                var rc = raw.sqlite3_step(s);
                raw.sqlite3_reset(s);
                if (rc != raw.SQLITE_DONE) Check(rc, "insert record");
                if (r.LogType == LogType.Loss) loss += r.LastCoveredNo - r.No + 1;
                if (r.TimestampNs is { } t)
                {
                    firstTs ??= t;
                    lastTs = t;
                }
            }
            var firstNo = run.FirstNo < 0 ? append.Records[0].No : run.FirstNo;
            var lastNo = append.Records[append.Count - 1].LastCoveredNo;
            var count = run.Count + append.Count;
            var bytes = run.FileBytes + json.Length;
            var lossTotal = run.Loss + loss;
            SaveRunValues(run, firstNo, lastNo, count, lossTotal, bytes, firstTs, lastTs);
            // the in-memory view (what a reconnecting tracer is told is durable) moves only after the commit
            updates.Add(() =>
            {
                run.FirstNo = firstNo;
                run.LastNo = lastNo;
                run.Count = count;
                run.Loss = lossTotal;
                run.FileBytes = bytes;
                run.FirstTs = firstTs;
                run.LastTs = lastTs;
            });
        }
        tx.Commit();
        lock (_runsLock) foreach (var u in updates) u();
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

    private ReadOnlySpan<byte> Utf8(string s)
    {
        if (_utf8.TryGetValue(s, out var b)) return b;
        b = Encoding.UTF8.GetBytes(s);
        if (_utf8.Count < 100_000 && s.Length <= 64) _utf8[s] = b;
        return b;
    }

    private FileStream RunFile(RunRow run)
    {
        if (_files.TryGetValue(run.RunId, out var f)) return f;
        f = new FileStream(RunFilePath(run.RunId), FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read, 1 << 16);
        _files[run.RunId] = f;
        return f;
    }

    private SqliteConnection OpenRead()
    {
        var c = new SqliteConnection(_connectionString);
        c.Open();
        return c;
    }

    private long KeyOf(string runId)
    {
        lock (_runsLock)
            return _runs.TryGetValue(runId, out var r) ? r.Key : throw new KeyNotFoundException($"no run '{runId}'");
    }

    public IReadOnlyList<string> ReadJson(string runId, RecordQuery query)
    {
        var key = KeyOf(runId);
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
            where.Append(" AND proc_name = $proc");
            cmd.Parameters.AddWithValue("$proc", query.ProcName);
        }
        if (!string.IsNullOrEmpty(query.CallName))
        {
            where.Append(" AND run = $run AND name = $name");
            cmd.Parameters.AddWithValue("$name", query.CallName);
        }
        cmd.CommandText = $"SELECT json FROM records WHERE {where} ORDER BY id {(query.Newest ? "DESC" : "ASC")} LIMIT $limit";
        cmd.Parameters.AddWithValue("$limit", Math.Clamp(query.Limit, 1, 10_000));
        var list = new List<string>();
        using var r = cmd.ExecuteReader();
        while (r.Read()) list.Add(r.GetString(0));
        if (query.Newest) list.Reverse();
        return list;
    }

    public IEnumerable<string> ReadAllJson(string runId)
    {
        var key = KeyOf(runId);
        using var c = OpenRead();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT json FROM records WHERE id BETWEEN $lo AND $hi ORDER BY id";
        cmd.Parameters.AddWithValue("$lo", key << NoBits);
        cmd.Parameters.AddWithValue("$hi", (key << NoBits) | MaxNo);
        using var r = cmd.ExecuteReader();
        while (r.Read()) yield return r.GetString(0);
    }

    public RunStatistics Statistics(string runId)
    {
        var key = KeyOf(runId);
        var run = FindRun(runId)!;
        using var c = OpenRead();
        List<CountBy> Group(string column)
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"SELECT {column}, count(*) AS n FROM records WHERE run = $run GROUP BY {column} ORDER BY n DESC LIMIT 50";
            cmd.Parameters.AddWithValue("$run", key);
            using var r = cmd.ExecuteReader();
            var list = new List<CountBy>();
            while (r.Read()) list.Add(new CountBy(r.IsDBNull(0) ? "" : Convert.ToString(r.GetValue(0), CultureInfo.InvariantCulture)!, r.GetInt64(1)));
            return list;
        }
        var calls = Group("name");
        var procs = Group("proc_name");
        var types = Group("logtype").ToDictionary(x => x.Key, x => x.Count);
        return new RunStatistics(run, calls, procs, types.GetValueOrDefault("0"), types.GetValueOrDefault("1"), types.GetValueOrDefault("2"));
    }

    public IReadOnlyList<ProcessNode> Processes(string runId)
    {
        var key = KeyOf(runId);
        using var c = OpenRead();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            SELECT pid, max(ppid), proc_name, min(no), max(no), count(*) FROM records
            WHERE run = $run AND logtype != 2 GROUP BY pid, proc_name ORDER BY min(no)
            """;
        cmd.Parameters.AddWithValue("$run", key);
        using var r = cmd.ExecuteReader();
        var list = new List<ProcessNode>();
        while (r.Read())
            list.Add(new ProcessNode((ulong)r.GetInt64(0), r.IsDBNull(1) ? null : (ulong)r.GetInt64(1), r.GetString(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5)));
        return list;
    }

    public void Dispose()
    {
        lock (_writeLock) DisposeLocked();
    }

    private void DisposeLocked()
    {
        foreach (var f in _files.Values) f.Dispose();
        _files.Clear();
        _insert?.Dispose();
        _write.Dispose();
    }
}
