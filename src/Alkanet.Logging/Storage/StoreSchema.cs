using Microsoft.Data.Sqlite;

namespace Alkanet.Logging.Storage;

/// <summary>
/// The logger database's tables. Version 2 (<c>PRAGMA user_version</c>) indexes each run by block: one <c>blocks</c> row per
/// up to <see cref="BlockIndexBuilder.MaxBlockRecords"/> contiguous records of one commit (number range, byte range in the
/// run file, time range, Bloom masks of pids, process and call names), plus the counters the page groups by
/// (<c>run_counts</c>) and the process table (<c>run_procs</c>). Version 1 (no user_version, a <c>records</c> table with
/// one row per record) is migrated on the first writable open by re-reading each run file (the run files are the records;
/// the index is derived from them).
/// </summary>
internal static class StoreSchema
{
    public const int Version = 2;

    private const string Tables = """
        CREATE TABLE IF NOT EXISTS runs(
          key INTEGER PRIMARY KEY, run_id TEXT NOT NULL UNIQUE, created TEXT NOT NULL, client TEXT NOT NULL,
          state TEXT NOT NULL, ended TEXT, first_no INTEGER NOT NULL DEFAULT -1, last_no INTEGER NOT NULL DEFAULT -1,
          record_count INTEGER NOT NULL DEFAULT 0, loss_records INTEGER NOT NULL DEFAULT 0,
          file_bytes INTEGER NOT NULL DEFAULT 0, first_ts INTEGER, last_ts INTEGER, stream TEXT NOT NULL DEFAULT '');
        CREATE TABLE IF NOT EXISTS names(id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);
        CREATE TABLE IF NOT EXISTS blocks(
          id INTEGER PRIMARY KEY, run INTEGER NOT NULL, last_no INTEGER NOT NULL, off INTEGER NOT NULL, end_off INTEGER NOT NULL,
          n INTEGER NOT NULL, first_ts INTEGER, last_ts INTEGER,
          pid_mask INTEGER NOT NULL, proc_mask INTEGER NOT NULL, call_mask INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS run_counts(
          run INTEGER NOT NULL, kind INTEGER NOT NULL, key INTEGER NOT NULL, n INTEGER NOT NULL,
          PRIMARY KEY(run, kind, key)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS run_procs(
          run INTEGER NOT NULL, pid INTEGER NOT NULL, proc INTEGER NOT NULL, ppid INTEGER,
          first_no INTEGER NOT NULL, last_no INTEGER NOT NULL, n INTEGER NOT NULL,
          PRIMARY KEY(run, pid, proc)) WITHOUT ROWID;
        CREATE VIEW IF NOT EXISTS block_rows AS
          SELECT runs.run_id AS run_id, b.id & 1099511627775 AS first_no, b.last_no AS last_no, b.n AS records,
                 b.off AS file_offset, b.end_off AS file_end, b.first_ts AS first_ts, b.last_ts AS last_ts
          FROM blocks b JOIN runs ON runs.key = b.run;
        """;

    /// <summary>Kinds of <c>run_counts</c> rows.</summary>
    public const int CallCounts = 0, ProcCounts = 1, LogTypeCounts = 2;

    /// <summary>True when the database still has the version 1 per-record table.</summary>
    public static bool HasPerRecordRows(SqliteConnection c) =>
        Scalar(c, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'records'") > 0;

    public static long UserVersion(SqliteConnection c) => Scalar(c, "PRAGMA user_version");

    /// <summary>Creates the version 2 tables (a no-op on a version 2 database). Throws for a database of a newer logger.</summary>
    public static void Create(SqliteConnection c, string path)
    {
        var version = UserVersion(c);
        if (version > Version)
            throw new IOException($"the logger database {path} has schema version {version}; this logger reads up to {Version}");
        Exec(c, Tables);
    }

    /// <summary>Drops the version 1 per-record rows (after every run was reindexed from its file) and stamps version 2.</summary>
    public static void DropPerRecordRows(SqliteConnection c) =>
        Exec(c, "DROP VIEW IF EXISTS record_rows; DROP TABLE IF EXISTS records;");

    public static void StampVersion(SqliteConnection c) => Exec(c, $"PRAGMA user_version = {Version}");

    private static void Exec(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static long Scalar(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
