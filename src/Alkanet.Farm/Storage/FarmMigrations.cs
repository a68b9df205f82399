namespace Alkanet.Farm.Storage;

/// <summary>One schema change, applied once (<see cref="FarmDatabase.Migrate"/>).</summary>
public sealed record FarmMigration(int Version, string Name, string Sql);

/// <summary>The farm's schema, as an ordered list of migrations. Append new ones; never edit an applied one.</summary>
public static class FarmMigrations
{
    public static IReadOnlyList<FarmMigration> All { get; } =
    [
        new(1, "runs and records (the logger's store)", """
            CREATE TABLE runs(
              key bigserial PRIMARY KEY, run_id text NOT NULL UNIQUE, created timestamptz NOT NULL DEFAULT now(),
              client text NOT NULL DEFAULT '', state text NOT NULL, ended timestamptz,
              first_no bigint NOT NULL DEFAULT -1, last_no bigint NOT NULL DEFAULT -1,
              record_count bigint NOT NULL DEFAULT 0, loss_records bigint NOT NULL DEFAULT 0,
              first_ts bigint, last_ts bigint, stream text NOT NULL DEFAULT '');
            -- one row per record; (run, no) is the key, so a number cannot be stored twice
            CREATE TABLE records(
              run bigint NOT NULL REFERENCES runs(key) ON DELETE CASCADE, no bigint NOT NULL, last_no bigint NOT NULL,
              logtype smallint NOT NULL, pid bigint NOT NULL, ppid bigint, proc text NOT NULL, call text NOT NULL,
              ts bigint, json text NOT NULL, PRIMARY KEY(run, no));
            CREATE INDEX records_run_pid ON records(run, pid);
            CREATE INDEX records_run_call ON records(run, call);
            """),
        new(2, "blobs, tasks, attempts, artifacts, workers", """
            -- content-addressed bytes (samples, reports, artifacts), stored once per SHA-256 (docs/FARM.md: why here)
            CREATE TABLE blobs(sha256 bytea PRIMARY KEY, size bigint NOT NULL, data bytea NOT NULL,
                               created timestamptz NOT NULL DEFAULT now());
            CREATE TABLE tasks(
              id bigserial PRIMARY KEY, created timestamptz NOT NULL DEFAULT now(),
              sample_sha256 bytea NOT NULL REFERENCES blobs(sha256), sample_name text NOT NULL,
              kind text NOT NULL, options jsonb NOT NULL, options_key text NOT NULL,
              priority int NOT NULL, tags text[] NOT NULL DEFAULT '{}',
              state text NOT NULL, attempts int NOT NULL DEFAULT 0, max_attempts int NOT NULL,
              result_attempt int, reason text, started timestamptz, finished timestamptz,
              worker text, reused_from bigint REFERENCES tasks(id));
            CREATE INDEX tasks_state ON tasks(state, id);
            CREATE INDEX tasks_reuse ON tasks(sample_sha256, options_key) WHERE state = 'done';
            CREATE TABLE attempts(
              task bigint NOT NULL REFERENCES tasks(id) ON DELETE CASCADE, n int NOT NULL, worker text NOT NULL,
              run_id text NOT NULL, state text NOT NULL, reason text, exit_code int,
              started timestamptz NOT NULL DEFAULT now(), ended timestamptz, PRIMARY KEY(task, n));
            CREATE TABLE artifacts(
              task bigint NOT NULL REFERENCES tasks(id) ON DELETE CASCADE, attempt int NOT NULL, name text NOT NULL,
              sha256 bytea NOT NULL REFERENCES blobs(sha256), size bigint NOT NULL, PRIMARY KEY(task, attempt, name));
            CREATE TABLE workers(
              name text PRIMARY KEY, host text NOT NULL, pid int NOT NULL, kind text NOT NULL, slots int NOT NULL,
              started timestamptz NOT NULL DEFAULT now(), last_seen timestamptz NOT NULL DEFAULT now(),
              state text NOT NULL, running jsonb NOT NULL DEFAULT '[]');
            """),
        new(3, "records: only the primary key; capture and YARA in the reuse key", """
            -- ingest maintained three indexes per record; the page's pid/call filters and the statistics read one run,
            -- which the primary key (run, no) already ranges over (docs/FARM.md, "Storage")
            DROP INDEX records_run_pid;
            DROP INDEX records_run_call;
            -- tasks from before capture and YARA options ran with alkanet run's defaults: capture sample, no rules
            UPDATE tasks SET options_key = options_key || ';capture=sample;yara=-' WHERE options_key NOT LIKE '%;capture=%';
            """),
    ];
}
