using System.Text;
using Alkanet.Core.Records;
using Alkanet.Logging.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Alkanet.Farm.Storage;

/// <summary>
/// The logger's store on PostgreSQL, for the farm's service: <c>runs</c> and one <c>records</c> row per record
/// (its JSON text plus the columns the page filters on), appended with binary COPY, the run's counters updated in
/// the same transaction. (run, no) is the primary key, so a record cannot be stored twice even if the single
/// writer's de-duplication were bypassed. A database that is down makes <see cref="Commit"/> and
/// <see cref="OpenRun"/> throw <see cref="IOException"/>: the logger then drops the tracers' connections, they
/// keep their unacknowledged records and resend them once the database is back.
/// </summary>
public sealed class PostgresRunStore(FarmDatabase db) : IRunStore
{
    private const string RunColumns =
        "run_id, created, first_no, last_no, record_count, loss_records, client, state, ended, first_ts, last_ts, stream";

    public RunInfo OpenRun(string runId, string client, string stream = "") => Guard(() =>
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand($"""
            INSERT INTO runs(run_id, client, state, stream) VALUES($1, $2, 'Live', $3)
            ON CONFLICT (run_id) DO UPDATE SET client = $2, state = 'Live', ended = NULL, stream = $3
            RETURNING {RunColumns}
            """, c);
        cmd.Parameters.AddWithValue(runId);
        cmd.Parameters.AddWithValue(client);
        cmd.Parameters.AddWithValue(stream);
        using var r = cmd.ExecuteReader();
        r.Read();
        return ReadRun(r);
    });

    public RunInfo? FindRun(string runId) => Guard(() =>
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand($"SELECT {RunColumns} FROM runs WHERE run_id = $1", c);
        cmd.Parameters.AddWithValue(runId);
        using var r = cmd.ExecuteReader();
        return r.Read() ? ReadRun(r) : null;
    });

    public IReadOnlyList<RunInfo> ListRuns() => Guard(() =>
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand($"SELECT {RunColumns} FROM runs ORDER BY key", c);
        using var r = cmd.ExecuteReader();
        var list = new List<RunInfo>();
        while (r.Read()) list.Add(ReadRun(r));
        return list;
    });

    public void EndRun(string runId, RunState state) => Guard(() =>
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand("UPDATE runs SET state = $2, ended = now() WHERE run_id = $1", c);
        cmd.Parameters.AddWithValue(runId);
        cmd.Parameters.AddWithValue(state.ToString());
        return cmd.ExecuteNonQuery();
    });

    public void Commit(IReadOnlyList<RunAppend> appends) => Guard(() =>
    {
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        foreach (var a in appends) Append(c, tx, a);
        tx.Commit();
        return 0;
    });

    /// <summary>The runs' keys, run id → key (a run's key never changes: reopening it keeps its row). Only the single
    /// writer reads and fills it, so a commit costs no lookup of its runs.</summary>
    private readonly Dictionary<string, long> _keys = new(StringComparer.Ordinal);

    /// <summary>The JSON text of a commit's slices, copied once into one buffer (the logger hands spans; Npgsql sends
    /// memory): each record's text is written as its UTF-8 bytes, never decoded to a string and encoded again.</summary>
    private byte[] _json = new byte[1 << 20];

    private long KeyOf(NpgsqlConnection c, NpgsqlTransaction tx, string runId)
    {
        if (_keys.TryGetValue(runId, out var key)) return key;
        using var k = new NpgsqlCommand("SELECT key FROM runs WHERE run_id = $1", c, tx);
        k.Parameters.AddWithValue(runId);
        key = (long)(k.ExecuteScalar() ?? throw new IOException($"run {runId} was not opened"));
        _keys[runId] = key;
        return key;
    }

    private void Append(NpgsqlConnection c, NpgsqlTransaction tx, RunAppend a)
    {
        var key = KeyOf(c, tx, a.RunId);
        var tally = new RunTally(-1, -1, null, null);
        using (var copy = c.BeginBinaryImport(
                   "COPY records(run, no, last_no, logtype, pid, ppid, proc, call, ts, json) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var slice in a.Slices)
            {
                var src = slice.Source;
                var text = slice.Json;
                if (_json.Length < text.Length) _json = new byte[Math.Max(text.Length, _json.Length * 2)];
                text.CopyTo(_json);
                var sliceStart = src.LineStart(slice.Start);
                for (var i = 0; i < slice.Count; i++)
                {
                    var r = src.Records[slice.Start + i];
                    copy.StartRow();
                    copy.Write(key, NpgsqlDbType.Bigint);
                    copy.Write(r.No, NpgsqlDbType.Bigint);
                    copy.Write(r.LastCoveredNo, NpgsqlDbType.Bigint);
                    copy.Write((short)r.LogType, NpgsqlDbType.Smallint);
                    copy.Write((long)r.Pid, NpgsqlDbType.Bigint);
                    if (r.ParentPid is { } pp) copy.Write((long)pp, NpgsqlDbType.Bigint);
                    else copy.WriteNull();
                    copy.Write(r.ProcName ?? "", NpgsqlDbType.Text);
                    copy.Write(r.Name ?? "", NpgsqlDbType.Text);
                    if (r.TimestampNs is { } t) copy.Write(t, NpgsqlDbType.Bigint);
                    else copy.WriteNull();
                    // the line without its newline: the record's JSON text as the logger encoded it once
                    var start = src.LineStart(slice.Start + i) - sliceStart;
                    var end = src.LineEnd(slice.Start + i) - 1 - sliceStart;
                    copy.Write(new ReadOnlyMemory<byte>(_json, start, end - start), NpgsqlDbType.Text);
                    tally.Add(r);
                }
            }
            copy.Complete();
        }
        if (tally.Count == 0) return;
        using var u = new NpgsqlCommand("""
            UPDATE runs SET first_no = CASE WHEN first_no < 0 THEN $2 ELSE first_no END, last_no = $3,
              record_count = record_count + $4, loss_records = loss_records + $5,
              first_ts = COALESCE(first_ts, $6), last_ts = COALESCE($7, last_ts)
            WHERE key = $1
            """, c, tx);
        u.Parameters.AddWithValue(key);
        u.Parameters.AddWithValue(tally.FirstNo);
        u.Parameters.AddWithValue(tally.LastNo);
        u.Parameters.AddWithValue(tally.Count);
        u.Parameters.AddWithValue(tally.Loss);
        u.Parameters.Add(new NpgsqlParameter<long?> { TypedValue = tally.FirstTs, NpgsqlDbType = NpgsqlDbType.Bigint });
        u.Parameters.Add(new NpgsqlParameter<long?> { TypedValue = tally.LastTs, NpgsqlDbType = NpgsqlDbType.Bigint });
        u.ExecuteNonQuery();
    }

    public IReadOnlyList<string> ReadJson(string runId, RecordQuery query) => Guard(() =>
    {
        using var c = db.Open();
        var sql = new StringBuilder("SELECT r.json FROM records r JOIN runs ON runs.key = r.run WHERE runs.run_id = $1");
        using var cmd = new NpgsqlCommand { Connection = c };
        cmd.Parameters.AddWithValue(runId);
        void Where(string clause, object value)
        {
            cmd.Parameters.AddWithValue(value);
            sql.Append(" AND ").Append(clause.Replace("@", "$" + cmd.Parameters.Count, StringComparison.Ordinal));
        }
        if (query.AfterNo is { } after) Where("r.no > @", after);
        if (query.BeforeNo is { } before) Where("r.no < @", before);
        if (query.Pid is { } pid) Where("r.pid = @", (long)pid);
        if (query.ProcName is { } proc) Where("r.proc = @", proc);
        if (query.CallName is { } call) Where("r.call = @", call);
        sql.Append(query.Newest ? " ORDER BY r.no DESC" : " ORDER BY r.no").Append(" LIMIT ").Append(Math.Clamp(query.Limit, 1, 100_000));
        cmd.CommandText = sql.ToString();
        var list = new List<string>();
        using var r = cmd.ExecuteReader();
        while (r.Read()) list.Add(r.GetString(0));
        if (query.Newest) list.Reverse();
        return list;
    });

    /// <summary>The run's records as JSON Lines, read page by page (keyset on <c>no</c>) into a temporary file that
    /// deletes itself on close, so a long run is never held in memory and the reader holds no connection.</summary>
    public Stream OpenRunJsonLines(string runId)
    {
        var path = Path.Combine(Path.GetTempPath(), $"alkanet-run-{Guid.NewGuid():N}.jsonl");
        var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        try
        {
            var after = -1L;
            var newline = "\n"u8.ToArray();
            while (true)
            {
                var page = ReadJson(runId, new RecordQuery { AfterNo = after, Limit = 20_000 });
                foreach (var line in page)
                {
                    file.Write(Encoding.UTF8.GetBytes(line));
                    file.Write(newline);
                }
                if (page.Count < 20_000) break;
                after = NoOf(runId, page[^1]);
            }
            file.Position = 0;
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static long NoOf(string runId, string json)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        return doc.RootElement.TryGetProperty("no", out var no) && no.TryGetInt64(out var n)
            ? n : throw new IOException($"run {runId}: a stored record has no 'no'");
    }

    public RunStatistics Statistics(string runId) => Guard(() =>
    {
        var run = FindRun(runId) ?? throw new KeyNotFoundException(runId);
        using var c = db.Open();
        List<CountBy> Group(string column)
        {
            using var cmd = new NpgsqlCommand(
                $"SELECT {column}, count(*) FROM records r JOIN runs ON runs.key = r.run WHERE runs.run_id = $1 AND r.logtype <> 2 " +
                $"GROUP BY {column} ORDER BY count(*) DESC, {column}", c);
            cmd.Parameters.AddWithValue(runId);
            using var r = cmd.ExecuteReader();
            var list = new List<CountBy>();
            while (r.Read()) list.Add(new CountBy(r.GetString(0), r.GetInt64(1)));
            return list;
        }
        var calls = Group("r.call");
        var procs = Group("r.proc");
        using var t = new NpgsqlCommand("""
            SELECT count(*) FILTER (WHERE logtype = 0), count(*) FILTER (WHERE logtype = 1), count(*) FILTER (WHERE logtype = 2)
            FROM records r JOIN runs ON runs.key = r.run WHERE runs.run_id = $1
            """, c);
        t.Parameters.AddWithValue(runId);
        using var tr = t.ExecuteReader();
        tr.Read();
        return new RunStatistics(run, calls, procs, tr.GetInt64(0), tr.GetInt64(1), tr.GetInt64(2));
    });

    public IReadOnlyList<RunProcess> Processes(string runId) => Guard(() =>
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand("""
            SELECT r.pid, max(r.ppid), (array_agg(r.proc ORDER BY r.no DESC))[1], min(r.no), max(r.no), count(*)
            FROM records r JOIN runs ON runs.key = r.run WHERE runs.run_id = $1 AND r.logtype <> 2
            GROUP BY r.pid ORDER BY min(r.no)
            """, c);
        cmd.Parameters.AddWithValue(runId);
        using var r = cmd.ExecuteReader();
        var list = new List<RunProcess>();
        while (r.Read())
            list.Add(new RunProcess((ulong)r.GetInt64(0), r.IsDBNull(1) ? null : (ulong)r.GetInt64(1), r.GetString(2),
                r.GetInt64(3), r.GetInt64(4), r.GetInt64(5)));
        return list;
    });

    private static RunInfo ReadRun(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetFieldValue<DateTimeOffset>(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5),
        r.GetString(6), Enum.Parse<RunState>(r.GetString(7)), r.IsDBNull(8) ? null : r.GetFieldValue<DateTimeOffset>(8),
        r.IsDBNull(9) ? null : r.GetInt64(9), r.IsDBNull(10) ? null : r.GetInt64(10), r.GetString(11));

    /// <summary>Database failures become <see cref="IOException"/>, which the logger treats as "storage unavailable".</summary>
    private static T Guard<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException and not ObjectDisposedException)
        {
            throw new IOException($"PostgreSQL: {ex.Message}", ex);
        }
    }

    public void Dispose()
    {
        // the data source belongs to the FarmDatabase, which its owner disposes
    }
}
