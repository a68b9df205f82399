using Alkanet.Core.Records;

namespace Alkanet.Core.Logs;

/// <summary>Counts a log by call and by process, in one pass with memory bounded by the number of
/// distinct calls and processes.</summary>
public sealed class LogStatistics
{
    private readonly Dictionary<string, CallCount> _calls = new(StringComparer.Ordinal);
    private readonly Dictionary<(ulong Pid, string Name), ProcessCount> _processes = [];

    public long Records { get; private set; }
    public long Enters { get; private set; }
    public long Exits { get; private set; }
    public long LossMarkers { get; private set; }
    public long LostRecords { get; private set; }
    public long? FirstNo { get; private set; }
    public long? LastNo { get; private set; }
    public long? FirstTimestampNs { get; private set; }
    public long? LastTimestampNs { get; private set; }
    public SortedSet<int> Cpus { get; } = [];

    public IReadOnlyDictionary<string, CallCount> Calls => _calls;

    public IEnumerable<ProcessCount> Processes => _processes.Values;

    public void Add(SyscallRecord r)
    {
        Records++;
        FirstNo ??= r.No;
        LastNo = r.LastCoveredNo;
        if (r.TimestampNs is { } ts)
        {
            FirstTimestampNs ??= ts;
            LastTimestampNs = ts;
        }
        if (r.LogType == LogType.Loss)
        {
            LossMarkers++;
            LostRecords += r.LastCoveredNo - r.No + 1;
            return;
        }
        Cpus.Add(r.CpuId);
        var enter = r.LogType == LogType.Enter;
        if (enter) Enters++; else Exits++;

        if (!_calls.TryGetValue(r.Name, out var call))
        {
            call = new CallCount(r.Name, r.SysNo);
            _calls.Add(r.Name, call);
        }
        if (enter) call.Enters++; else call.Exits++;

        var key = (r.Pid, r.ProcName);
        if (!_processes.TryGetValue(key, out var proc))
        {
            proc = new ProcessCount(r.Pid, r.ProcName);
            _processes.Add(key, proc);
        }
        if (enter) proc.Calls++;
        proc.Records++;
        proc.Threads.Add(r.Tid);
    }
}

public sealed class CallCount(string name, ulong sysNo)
{
    public string Name { get; } = name;
    public ulong SysNo { get; } = sysNo;
    public long Enters { get; set; }
    public long Exits { get; set; }
    public long Total => Enters + Exits;
}

public sealed class ProcessCount(ulong pid, string name)
{
    public ulong Pid { get; } = pid;
    public string Name { get; } = name;

    /// <summary>Calls made (ENTER records).</summary>
    public long Calls { get; set; }

    public long Records { get; set; }

    public HashSet<ulong> Threads { get; } = [];
}
