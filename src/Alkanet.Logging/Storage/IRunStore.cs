using Alkanet.Core.Records;

namespace Alkanet.Logging.Storage;

public enum RunState
{
    /// <summary>A tracer is (or was, until it disconnected) streaming it.</summary>
    Live,

    /// <summary>The tracer said goodbye after its last record was durable: the run is complete.</summary>
    Complete,

    /// <summary>The logger restarted while the run was live, its tracer was refused, or its tracer went away without a
    /// goodbye and did not return in time; a reconnecting tracer makes it live again.</summary>
    Interrupted,
}

/// <summary>A run as stored. <see cref="LastNo"/> is -1 while the run has no record.</summary>
public sealed record RunInfo(
    string RunId, DateTimeOffset Created, long FirstNo, long LastNo, long RecordCount, long LossRecords,
    string Client, RunState State, DateTimeOffset? Ended, long? FirstTimestampNs, long? LastTimestampNs, string Stream = "");

/// <summary>Records of one run, contiguous and deduplicated (in order across slices), to append in one commit.</summary>
public sealed record RunAppend(string RunId, IReadOnlyList<RecordSlice> Slices)
{
    public int Count => Slices.Sum(s => s.Count);
}

/// <summary>Which stored records to read. Null fields do not filter.</summary>
public sealed record RecordQuery
{
    public long? AfterNo { get; init; }

    public long? BeforeNo { get; init; }

    public ulong? Pid { get; init; }

    public string? ProcName { get; init; }

    public string? CallName { get; init; }

    /// <summary>Newest first (a tail) instead of oldest first.</summary>
    public bool Newest { get; init; }

    public int Limit { get; init; } = 200;
}

public sealed record CountBy(string Key, long Count);

public sealed record RunStatistics(
    RunInfo Run, IReadOnlyList<CountBy> Calls, IReadOnlyList<CountBy> Processes, long EnterCount, long ExitCount, long LossMarkers);

/// <summary>One process (by pid) of a stored run's tree, from <c>proc_pid</c>/<c>proc_ppid</c>; not the report's per-lifetime
/// <c>Alkanet.Analysis.Model.ProcessNode</c>.</summary>
public sealed record RunProcess(ulong Pid, ulong? ParentPid, string Name, long FirstNo, long LastNo, long Records);

/// <summary>
/// Where the logger keeps runs. The embedded default is <see cref="SqliteRunStore"/> (one SQLite database per
/// logger plus each run's JSON Lines file); a server database (PostgreSQL for a farm) can implement the same.
/// Not thread-safe for writes: the logger's single writer calls <see cref="Commit"/>; reads may run concurrently.
/// </summary>
public interface IRunStore : IDisposable
{
    /// <summary>Creates the run, or reopens it (a tracer reconnecting, a logger restarted) and marks it live;
    /// <paramref name="stream"/> becomes the run's current tracer stream.</summary>
    RunInfo OpenRun(string runId, string client, string stream = "");

    RunInfo? FindRun(string runId);

    IReadOnlyList<RunInfo> ListRuns();

    /// <summary>Appends every run's records in one transaction; durable when it returns.</summary>
    void Commit(IReadOnlyList<RunAppend> appends);

    void EndRun(string runId, RunState state);

    /// <summary>Records as their JSON text (the original Alkanet shape).</summary>
    IReadOnlyList<string> ReadJson(string runId, RecordQuery query);

    /// <summary>Every record of the run in order, as JSON Lines bytes (what export writes).</summary>
    Stream OpenRunJsonLines(string runId);

    RunStatistics Statistics(string runId);

    IReadOnlyList<RunProcess> Processes(string runId);
}
