using Alkanet.Core.Records;

namespace Alkanet.Logging.Storage;

/// <summary>One row of the block index: a run of contiguous records in the run file, found by its first <c>no</c>.</summary>
/// <param name="LastNo">The last number the block covers (a trailing LOSS marker covers more than its own number).</param>
/// <param name="Off">Byte offset of the block's first line in the run file.</param>
/// <param name="End">Byte offset just past the block's last line (its '\n').</param>
/// <param name="PidMask">One bit per pid present (a 64-bit Bloom filter): a query for a pid skips blocks without its bit.</param>
/// <param name="ProcMask">The same over process name ids.</param>
/// <param name="CallMask">The same over call name ids.</param>
internal readonly record struct BlockRow(
    long FirstNo, long LastNo, long Off, long End, int Count, long? FirstTs, long? LastTs, long PidMask, long ProcMask, long CallMask);

/// <summary>A process of a run as one commit (or a reindex) saw it: merged into <c>run_procs</c> by (pid, process name).</summary>
internal struct ProcessTally
{
    public ulong? ParentPid;
    public long FirstNo;
    public long LastNo;
    public long Records;
}

/// <summary>
/// Builds the index of the records one commit appends to one run: block rows of at most <see cref="MaxBlockRecords"/>
/// records, and the run's counters by call, by process name and by log type and its process table, which replace
/// the per-record rows the statistics and the process tree used to group. Per record this costs a few dictionary
/// updates and bit operations, no SQL.
/// </summary>
internal sealed class BlockIndexBuilder
{
    /// <summary>Records per block at most: a lookup by number reads and scans one block (~1 MB of JSON Lines).</summary>
    public const int MaxBlockRecords = 4096;

    private long _first = -1, _last, _off, _end;
    private int _count;
    private long? _firstTs, _lastTs;
    private long _pidMask, _procMask, _callMask;

    public List<BlockRow> Blocks { get; } = [];

    /// <summary>Records per call name id (all log types, as the page's statistics count them).</summary>
    public Dictionary<long, long> Calls { get; } = [];

    /// <summary>Records per process name id.</summary>
    public Dictionary<long, long> Procs { get; } = [];

    /// <summary>Records per log type (0 ENTER, 1 EXIT, 2 LOSS).</summary>
    public long[] LogTypes { get; } = new long[3];

    /// <summary>Processes by (pid, process name id), LOSS markers left out.</summary>
    public Dictionary<(ulong Pid, long Proc), ProcessTally> Processes { get; } = [];

    public void Clear()
    {
        Blocks.Clear();
        Calls.Clear();
        Procs.Clear();
        Processes.Clear();
        Array.Clear(LogTypes);
        _first = -1;
    }

    /// <summary>Adds the record whose line spans <paramref name="lineOff"/>..<paramref name="lineEnd"/> of the run file.</summary>
    public void Add(SyscallRecord r, long procId, long callId, long lineOff, long lineEnd)
    {
        if (_first >= 0 && (_count == MaxBlockRecords || lineOff != _end)) Close();
        if (_first < 0)
        {
            _first = r.No;
            _off = lineOff;
            _firstTs = null;
            _pidMask = _procMask = _callMask = 0;
            _count = 0;
        }
        _last = r.LastCoveredNo;
        _end = lineEnd;
        _count++;
        if (r.TimestampNs is { } ts)
        {
            _firstTs ??= ts;
            _lastTs = ts;
        }
        _pidMask |= Bit(r.Pid);
        _procMask |= Bit((ulong)procId);
        _callMask |= Bit((ulong)callId);
        Increment(Calls, callId);
        Increment(Procs, procId);
        var type = (int)r.LogType;
        if ((uint)type < (uint)LogTypes.Length) LogTypes[type]++;
        if (r.LogType == LogType.Loss) return;
        ref var p = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(Processes, (r.Pid, procId), out var had);
        if (!had) p.FirstNo = r.No;
        if (r.ParentPid is { } ppid && (p.ParentPid is not { } known || ppid > known)) p.ParentPid = ppid;
        p.LastNo = r.No;
        p.Records++;
    }

    /// <summary>Closes the open block (call once after the last <see cref="Add"/>).</summary>
    public void Close()
    {
        if (_first < 0) return;
        Blocks.Add(new BlockRow(_first, _last, _off, _end, _count, _firstTs, _firstTs is null ? null : _lastTs,
            _pidMask, _procMask, _callMask));
        _first = -1;
    }

    /// <summary>The Bloom bit of a pid or name id: a multiplicative hash spreads neighbouring values over the 64 bits.</summary>
    public static long Bit(ulong value) => 1L << (int)((value * 0x9E3779B97F4A7C15UL) >> 58);

    private static void Increment(Dictionary<long, long> counts, long key)
    {
        ref var n = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(counts, key, out _);
        n++;
    }
}
