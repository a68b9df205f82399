using Npgsql;

namespace Alkanet.Farm.Storage;

/// <summary>What a worker should do with a delivered task.</summary>
public enum AttemptDecision
{
    /// <summary>Run it: a new attempt was recorded.</summary>
    Run,

    /// <summary>It has ended (done, failed, cancelled, or it no longer exists): acknowledge it without running.</summary>
    Skip,

    /// <summary>Another live worker (or another slot of this one) is running it: hold the delivery and look again later.</summary>
    Wait,

    /// <summary>It has used up its attempts (e.g. its workers kept dying): it was marked failed; dead-letter it.</summary>
    GiveUp,
}

public sealed record AttemptStart(AttemptDecision Decision, TaskView? Task, int Attempt, string Why);

/// <summary>The worker's side of the task tables: attempts begin, end and are handed in, one transaction each.</summary>
public sealed class AttemptStore(FarmDatabase db)
{
    /// <summary>A worker silent for this long is taken for dead and its running attempts for lost.</summary>
    public TimeSpan StaleAfter { get; init; } = TimeSpan.FromSeconds(20);

    /// <param name="busyHere">True when this worker itself is running the task in another slot (a broker restart
    /// returned the delivery while the first slot still runs it).</param>
    public AttemptStart Begin(long taskId, string worker, bool busyHere)
    {
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        TaskView? task;
        using (var q = new NpgsqlCommand($"SELECT {TaskStore.TaskColumns} FROM tasks t WHERE t.id = $1 FOR UPDATE", c, tx))
        {
            q.Parameters.AddWithValue(taskId);
            using var r = q.ExecuteReader();
            task = r.Read() ? TaskStore.ReadTask(r) : null;
        }
        if (task is null) return new AttemptStart(AttemptDecision.Skip, null, 0, "no such task");
        if (TaskStates.IsTerminal(task.State)) return new AttemptStart(AttemptDecision.Skip, task, 0, $"task is {task.State}");
        if (busyHere) return new AttemptStart(AttemptDecision.Wait, task, 0, "this worker is running it");
        // an attempt still marked running: its worker either lives (wait for it) or vanished (record it lost)
        using (var running = new NpgsqlCommand("""
                   SELECT a.n, a.worker, w.last_seen, w.state, now() - w.last_seen > $2 FROM attempts a LEFT JOIN workers w ON w.name = a.worker
                   WHERE a.task = $1 AND a.state = 'running'
                   """, c, tx))
        {
            running.Parameters.AddWithValue(taskId);
            running.Parameters.AddWithValue(StaleAfter);
            var lost = new List<(int N, string Why)>();
            using (var r = running.ExecuteReader())
            {
                while (r.Read())
                {
                    var owner = r.GetString(1);
                    var stale = r.IsDBNull(4) || r.GetBoolean(4) || r.GetString(3) == "stopped";
                    if (!stale && owner != worker) return new AttemptStart(AttemptDecision.Wait, task, 0, $"worker {owner} is running it");
                    var seen = r.IsDBNull(2) ? "never" : r.GetFieldValue<DateTimeOffset>(2).ToString("u");
                    lost.Add((r.GetInt32(0), owner == worker
                        ? $"worker {owner} lost the task (its broker connection dropped mid-run); delivered again"
                        : $"worker {owner} vanished (last heartbeat {seen}); the broker delivered the task again"));
                }
            }
            foreach (var (n, why) in lost) EndAttempt(c, tx, taskId, n, "lost", why, null);
        }
        var attempts = Count(c, tx, taskId);
        if (attempts >= task.MaxAttempts)
        {
            FailTask(c, tx, taskId, attempts);
            tx.Commit();
            return new AttemptStart(AttemptDecision.GiveUp, task, attempts, "attempts used up");
        }
        var n2 = attempts + 1;
        using (var ins = new NpgsqlCommand("INSERT INTO attempts(task, n, worker, run_id, state) VALUES($1, $2, $3, $4, 'running')", c, tx))
        {
            ins.Parameters.AddWithValue(taskId);
            ins.Parameters.AddWithValue(n2);
            ins.Parameters.AddWithValue(worker);
            ins.Parameters.AddWithValue(FarmNames.RunId(taskId, n2));
            ins.ExecuteNonQuery();
        }
        using (var upd = new NpgsqlCommand(
                   "UPDATE tasks SET state = 'running', attempts = $2, worker = $3, started = COALESCE(started, now()) WHERE id = $1", c, tx))
        {
            upd.Parameters.AddWithValue(taskId);
            upd.Parameters.AddWithValue(n2);
            upd.Parameters.AddWithValue(worker);
            upd.ExecuteNonQuery();
        }
        tx.Commit();
        return new AttemptStart(AttemptDecision.Run, task, n2, "new attempt");
    }

    /// <summary>Hands in a successful attempt: its artifacts (bytes by SHA-256), the attempt done, the task done, in
    /// one transaction. A task cancelled meanwhile stays cancelled (its artifacts are kept with the attempt).</summary>
    public void Complete(long taskId, int attempt, IReadOnlyList<ArtifactFile> artifacts)
    {
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        foreach (var a in artifacts)
        {
            var sha = TaskStore.PutBlob(c, tx, a.Bytes);
            using var cmd = new NpgsqlCommand("""
                INSERT INTO artifacts(task, attempt, name, sha256, size) VALUES($1, $2, $3, $4, $5)
                ON CONFLICT (task, attempt, name) DO UPDATE SET sha256 = $4, size = $5
                """, c, tx);
            cmd.Parameters.AddWithValue(taskId);
            cmd.Parameters.AddWithValue(attempt);
            cmd.Parameters.AddWithValue(a.Name);
            cmd.Parameters.AddWithValue(sha);
            cmd.Parameters.AddWithValue((long)a.Bytes.Length);
            cmd.ExecuteNonQuery();
        }
        EndAttempt(c, tx, taskId, attempt, "done", null, 0);
        using (var upd = new NpgsqlCommand("""
                   UPDATE tasks SET state = 'done', result_attempt = $2, finished = now(), reason = NULL
                   WHERE id = $1 AND state = 'running'
                   """, c, tx))
        {
            upd.Parameters.AddWithValue(taskId);
            upd.Parameters.AddWithValue(attempt);
            upd.ExecuteNonQuery();
        }
        tx.Commit();
    }

    /// <summary>Records a failed attempt. Returns true when the task has no attempts left and was marked failed
    /// (its reason lists every attempt's); false when it goes back to the queue.</summary>
    public bool Fail(long taskId, int attempt, string state, string reason, int? exitCode)
    {
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        EndAttempt(c, tx, taskId, attempt, state, reason, exitCode);
        int max;
        using (var q = new NpgsqlCommand("SELECT max_attempts FROM tasks WHERE id = $1", c, tx))
        {
            q.Parameters.AddWithValue(taskId);
            max = (int)q.ExecuteScalar()!;
        }
        var final = state == "cancelled" || Count(c, tx, taskId) >= max;
        if (state != "cancelled")
        {
            if (final) FailTask(c, tx, taskId, max);
            else
            {
                using var back = new NpgsqlCommand("UPDATE tasks SET state = 'queued' WHERE id = $1 AND state = 'running'", c, tx);
                back.Parameters.AddWithValue(taskId);
                back.ExecuteNonQuery();
            }
        }
        tx.Commit();
        return final;
    }

    /// <summary>Marks a task the broker dead-lettered as failed (unless it had ended), with its attempts' reasons.</summary>
    public void DeadLettered(long taskId, string why)
    {
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        FailTask(c, tx, taskId, Count(c, tx, taskId), why);
        tx.Commit();
    }

    public void Heartbeat(string worker, string host, int pid, string kind, int slots, string state, string runningJson)
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand("""
            INSERT INTO workers(name, host, pid, kind, slots, state, running) VALUES($1, $2, $3, $4, $5, $6, $7::jsonb)
            ON CONFLICT (name) DO UPDATE SET last_seen = now(), state = $6, running = $7::jsonb
            """, c);
        cmd.Parameters.AddWithValue(worker);
        cmd.Parameters.AddWithValue(host);
        cmd.Parameters.AddWithValue(pid);
        cmd.Parameters.AddWithValue(kind);
        cmd.Parameters.AddWithValue(slots);
        cmd.Parameters.AddWithValue(state);
        cmd.Parameters.AddWithValue(runningJson);
        cmd.ExecuteNonQuery();
    }

    public IReadOnlyList<WorkerView> Workers()
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand(
            "SELECT name, host, pid, kind, slots, started, last_seen, state, running::text, extract(epoch FROM now() - last_seen) " +
            "FROM workers ORDER BY name", c);
        using var r = cmd.ExecuteReader();
        var list = new List<WorkerView>();
        while (r.Read())
            list.Add(new WorkerView(r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetString(3), r.GetInt32(4), r.GetFieldValue<DateTimeOffset>(5),
                r.GetFieldValue<DateTimeOffset>(6), r.GetString(7), r.GetString(8), (double)r.GetDecimal(9)));
        return list;
    }

    private static int Count(NpgsqlConnection c, NpgsqlTransaction tx, long taskId)
    {
        using var q = new NpgsqlCommand("SELECT count(*) FROM attempts WHERE task = $1", c, tx);
        q.Parameters.AddWithValue(taskId);
        return (int)(long)q.ExecuteScalar()!;
    }

    private static void EndAttempt(NpgsqlConnection c, NpgsqlTransaction tx, long taskId, int n, string state, string? reason, int? exitCode)
    {
        using var cmd = new NpgsqlCommand(
            "UPDATE attempts SET state = $3, reason = $4, exit_code = $5, ended = now() WHERE task = $1 AND n = $2", c, tx);
        cmd.Parameters.AddWithValue(taskId);
        cmd.Parameters.AddWithValue(n);
        cmd.Parameters.AddWithValue(state);
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)reason ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)exitCode ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
        cmd.ExecuteNonQuery();
    }

    /// <summary>The task failed: its reason names every attempt's outcome, in order.</summary>
    private static void FailTask(NpgsqlConnection c, NpgsqlTransaction tx, long taskId, int attempts, string? extra = null)
    {
        using var cmd = new NpgsqlCommand("""
            UPDATE tasks SET state = 'failed', finished = now(), reason = concat_ws('; ', $3::text,
              (SELECT string_agg(format('attempt %s on %s: %s', n, worker, COALESCE(reason, state)), '; ' ORDER BY n)
               FROM attempts WHERE task = $1)) || format(' (%s of %s attempts)', $2::int, max_attempts)
            WHERE id = $1 AND state NOT IN ('done', 'failed', 'cancelled')
            """, c, tx);
        cmd.Parameters.AddWithValue(taskId);
        cmd.Parameters.AddWithValue(attempts);
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)extra ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        cmd.ExecuteNonQuery();
    }
}
