using System.Security.Cryptography;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Alkanet.Farm.Storage;

/// <summary>Tasks, their attempts, artifacts and the workers' heartbeats in the farm's database. Every change a
/// worker makes for one attempt is one transaction, so what the page shows is never half of an outcome.</summary>
public sealed class TaskStore(FarmDatabase db)
{
    internal const string TaskColumns = """
        t.id, t.created, t.sample_name, t.sample_sha256, t.kind, t.options, t.priority, t.tags, t.state, t.attempts, t.max_attempts,
        t.result_attempt, t.reason, t.started, t.finished, t.worker, t.reused_from
        """;

    public static byte[] Sha256(ReadOnlySpan<byte> bytes) => SHA256.HashData(bytes);

    /// <summary>Stores bytes under their SHA-256 (once: a second put of the same bytes is a no-op).</summary>
    public static byte[] PutBlob(NpgsqlConnection c, NpgsqlTransaction tx, byte[] bytes)
    {
        var sha = Sha256(bytes);
        using var cmd = new NpgsqlCommand("INSERT INTO blobs(sha256, size, data) VALUES($1, $2, $3) ON CONFLICT (sha256) DO NOTHING", c, tx);
        cmd.Parameters.AddWithValue(sha);
        cmd.Parameters.AddWithValue((long)bytes.Length);
        cmd.Parameters.AddWithValue(bytes);
        cmd.ExecuteNonQuery();
        return sha;
    }

    public byte[]? Blob(byte[] sha256)
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand("SELECT data FROM blobs WHERE sha256 = $1", c);
        cmd.Parameters.AddWithValue(sha256);
        return cmd.ExecuteScalar() as byte[];
    }

    /// <summary>A finished task with the same sample and result-changing options, if any (for reuse).</summary>
    public long? FindReusable(byte[] sha256, TaskOptions options)
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand(
            "SELECT id FROM tasks WHERE sample_sha256 = $1 AND options_key = $2 AND state = 'done' ORDER BY id DESC LIMIT 1", c);
        cmd.Parameters.AddWithValue(sha256);
        cmd.Parameters.AddWithValue(options.ReuseKey);
        return cmd.ExecuteScalar() as long?;
    }

    /// <param name="yaraRules">The submission's YARA rules (their SHA-256 is <c>options.YaraSha256</c>), stored with the task.</param>
    public long CreateTask(byte[] sample, string sampleName, TaskOptions options, int maxAttempts, long? reusedFrom = null,
        byte[]? yaraRules = null)
    {
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        var sha = PutBlob(c, tx, sample);
        if (yaraRules is not null) PutBlob(c, tx, yaraRules);
        using var cmd = new NpgsqlCommand("""
            INSERT INTO tasks(sample_sha256, sample_name, kind, options, options_key, priority, tags, state, max_attempts, reused_from,
                              result_attempt, finished)
            SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
                   (SELECT result_attempt FROM tasks WHERE id = $10), CASE WHEN $10 IS NULL THEN NULL ELSE now() END
            RETURNING id
            """, c, tx);
        cmd.Parameters.AddWithValue(sha);
        cmd.Parameters.AddWithValue(sampleName);
        cmd.Parameters.AddWithValue(options.Kind);
        cmd.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(options, FarmJson.Options), NpgsqlDbType = NpgsqlDbType.Jsonb });
        cmd.Parameters.AddWithValue(options.ReuseKey);
        cmd.Parameters.AddWithValue(options.Priority);
        cmd.Parameters.AddWithValue(options.Tags.ToArray());
        cmd.Parameters.AddWithValue(reusedFrom is null ? TaskStates.Queued : TaskStates.Done);
        cmd.Parameters.AddWithValue(maxAttempts);
        cmd.Parameters.Add(new NpgsqlParameter<long?> { TypedValue = reusedFrom, NpgsqlDbType = NpgsqlDbType.Bigint });
        var id = (long)cmd.ExecuteScalar()!;
        tx.Commit();
        return id;
    }

    /// <summary>Removes a task the broker never accepted (the submission is answered with an error instead).</summary>
    public void DeleteUnqueued(long id)
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand("DELETE FROM tasks WHERE id = $1 AND attempts = 0", c);
        cmd.Parameters.AddWithValue(id);
        cmd.ExecuteNonQuery();
    }

    public TaskView? Find(long id)
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand($"SELECT {TaskColumns} FROM tasks t WHERE t.id = $1", c);
        cmd.Parameters.AddWithValue(id);
        using var r = cmd.ExecuteReader();
        return r.Read() ? ReadTask(r) : null;
    }

    public IReadOnlyList<TaskView> List(string? state, string? kind, string? tag, int limit)
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand($"""
            SELECT {TaskColumns} FROM tasks t
            WHERE ($1::text IS NULL OR t.state = $1) AND ($2::text IS NULL OR t.kind = $2) AND ($3::text IS NULL OR $3 = ANY(t.tags))
            ORDER BY t.id DESC LIMIT $4
            """, c);
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)state ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)kind ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)tag ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.AddWithValue(Math.Clamp(limit, 1, 1000));
        using var r = cmd.ExecuteReader();
        var list = new List<TaskView>();
        while (r.Read()) list.Add(ReadTask(r));
        return list;
    }

    public TaskDetail? Detail(long id)
    {
        var task = Find(id);
        if (task is null) return null;
        using var c = db.Open();
        var attempts = new List<AttemptView>();
        using (var cmd = new NpgsqlCommand("""
                   SELECT a.n, a.worker, a.run_id, a.state, a.reason, a.exit_code, a.started, a.ended, COALESCE(runs.record_count, 0)
                   FROM attempts a LEFT JOIN runs ON runs.run_id = a.run_id WHERE a.task = $1 ORDER BY a.n
                   """, c))
        {
            cmd.Parameters.AddWithValue(id);
            using var r = cmd.ExecuteReader();
            while (r.Read())
                attempts.Add(new AttemptView(r.GetInt32(0), r.GetString(1), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4),
                    r.IsDBNull(5) ? null : r.GetInt32(5), r.GetFieldValue<DateTimeOffset>(6),
                    r.IsDBNull(7) ? null : r.GetFieldValue<DateTimeOffset>(7),
                    r.GetInt64(8)));
        }
        var artifacts = new List<ArtifactView>();
        var source = task.ReusedFrom ?? id;
        using (var cmd = new NpgsqlCommand("SELECT attempt, name, sha256, size FROM artifacts WHERE task = $1 ORDER BY attempt, name", c))
        {
            cmd.Parameters.AddWithValue(source);
            using var r = cmd.ExecuteReader();
            while (r.Read())
                artifacts.Add(new ArtifactView(r.GetInt32(0), r.GetString(1), Convert.ToHexStringLower(r.GetFieldValue<byte[]>(2)), r.GetInt64(3)));
        }
        return new TaskDetail(task, attempts, artifacts);
    }

    /// <summary>Joins a task to the artifacts (<c>a</c>, their bytes <c>b</c>) of its result attempt, or of the task it
    /// reused; <c>$1</c> is the task.</summary>
    private const string ResultArtifactsJoin = """
        FROM tasks t
          JOIN tasks src ON src.id = COALESCE(t.reused_from, t.id)
          JOIN artifacts a ON a.task = src.id AND a.attempt = src.result_attempt
          JOIN blobs b ON b.sha256 = a.sha256
        WHERE t.id = $1
        """;

    /// <summary>The bytes of an artifact of the task's result attempt (or of the task it reused), by name.</summary>
    public byte[]? ResultArtifact(long id, string name)
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand($"SELECT b.data {ResultArtifactsJoin} AND a.name = $2", c);
        cmd.Parameters.AddWithValue(id);
        cmd.Parameters.AddWithValue(name);
        return cmd.ExecuteScalar() as byte[];
    }

    /// <summary>Every file of the task's result attempt (name, SHA-256, size), by name.</summary>
    public IReadOnlyList<ArtifactView> ResultArtifacts(long id)
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand($"SELECT a.attempt, a.name, a.sha256, a.size {ResultArtifactsJoin} ORDER BY a.name", c);
        cmd.Parameters.AddWithValue(id);
        using var r = cmd.ExecuteReader();
        var list = new List<ArtifactView>();
        while (r.Read())
            list.Add(new ArtifactView(r.GetInt32(0), r.GetString(1), Convert.ToHexStringLower(r.GetFieldValue<byte[]>(2)), r.GetInt64(3)));
        return list;
    }

    /// <summary>A file of the task's result attempt by its SHA-256: its name there and its bytes. Only the task's own
    /// files are served this way, so a task's URL never reaches another task's blob by guessing a hash.</summary>
    public (string Name, byte[] Bytes)? ResultArtifactBySha256(long id, byte[] sha256)
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand($"SELECT a.name, b.data {ResultArtifactsJoin} AND a.sha256 = $2 ORDER BY a.name LIMIT 1", c);
        cmd.Parameters.AddWithValue(id);
        cmd.Parameters.AddWithValue(sha256);
        using var r = cmd.ExecuteReader();
        return r.Read() ? (r.GetString(0), r.GetFieldValue<byte[]>(1)) : null;
    }

    /// <summary>Cancels a queued or running task; false when it had already ended.</summary>
    public bool Cancel(long id)
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand("""
            UPDATE tasks SET state = 'cancelled', finished = now(), reason = 'cancelled by a user'
            WHERE id = $1 AND state IN ('queued', 'running')
            """, c);
        cmd.Parameters.AddWithValue(id);
        return cmd.ExecuteNonQuery() == 1;
    }

    /// <summary>Ids of the given tasks that are cancelled (a worker polls this for the tasks it runs).</summary>
    public IReadOnlySet<long> Cancelled(IReadOnlyCollection<long> ids)
    {
        if (ids.Count == 0) return new HashSet<long>();
        using var c = db.Open();
        using var cmd = new NpgsqlCommand("SELECT id FROM tasks WHERE id = ANY($1) AND state = 'cancelled'", c);
        cmd.Parameters.AddWithValue(ids.ToArray());
        using var r = cmd.ExecuteReader();
        var set = new HashSet<long>();
        while (r.Read()) set.Add(r.GetInt64(0));
        return set;
    }

    public static TaskView ReadTask(NpgsqlDataReader r)
    {
        var options = JsonSerializer.Deserialize<TaskOptions>(r.GetString(5), FarmJson.Options)!;
        return new TaskView(r.GetInt64(0), r.GetFieldValue<DateTimeOffset>(1), r.GetString(2), Convert.ToHexStringLower(r.GetFieldValue<byte[]>(3)),
            r.GetString(4), options.TimeoutSeconds, options.Network, r.GetInt32(6), r.GetFieldValue<string[]>(7), r.GetString(8), r.GetInt32(9),
            r.GetInt32(10), r.IsDBNull(11) ? null : r.GetInt32(11), r.IsDBNull(12) ? null : r.GetString(12),
            r.IsDBNull(13) ? null : r.GetFieldValue<DateTimeOffset>(13), r.IsDBNull(14) ? null : r.GetFieldValue<DateTimeOffset>(14),
            r.IsDBNull(15) ? null : r.GetString(15), r.IsDBNull(16) ? null : r.GetInt64(16), options.Capture, options.YaraSha256, options.YaraName);
    }
}
