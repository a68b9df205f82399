using Alkanet.Core.Records;

namespace Alkanet.Logging.Wire;

/// <summary>Which records the tracer should produce. An empty list means "all" for that dimension; a record
/// passes when it matches every non-empty dimension (process by name OR pid, and call by name).</summary>
/// <remarks>The tracer applies it before numbering records, so <c>no</c> stays gap-free.</remarks>
public sealed record RecordFilter
{
    public static readonly RecordFilter All = new();

    /// <summary>Process names (exact, case-insensitive, as in <c>proc_name</c>).</summary>
    public IReadOnlyList<string> ProcessNames { get; init; } = [];

    public IReadOnlyList<ulong> Pids { get; init; } = [];

    /// <summary>Call names (exact, case-insensitive, as in <c>name</c>).</summary>
    public IReadOnlyList<string> CallNames { get; init; } = [];

    public bool IsAll => ProcessNames.Count == 0 && Pids.Count == 0 && CallNames.Count == 0;

    public bool Matches(ulong pid, string procName, string callName)
    {
        if (ProcessNames.Count > 0 || Pids.Count > 0)
        {
            var proc = false;
            foreach (var p in Pids) if (p == pid) { proc = true; break; }
            if (!proc)
                foreach (var n in ProcessNames)
                    if (string.Equals(n, procName, StringComparison.OrdinalIgnoreCase)) { proc = true; break; }
            if (!proc) return false;
        }
        if (CallNames.Count > 0)
        {
            foreach (var n in CallNames)
                if (string.Equals(n, callName, StringComparison.OrdinalIgnoreCase)) return true;
            return false;
        }
        return true;
    }

    public bool Matches(SyscallRecord r) => r.LogType == LogType.Loss || Matches(r.Pid, r.ProcName, r.Name);

    public override string ToString() => IsAll
        ? "all"
        : $"procs=[{string.Join(',', ProcessNames)}] pids=[{string.Join(',', Pids.Select(p => p.ToString("x")))}]"
            + $" calls=[{string.Join(',', CallNames)}]";

    public bool Equals(RecordFilter? other) =>
        other is not null && ProcessNames.SequenceEqual(other.ProcessNames) && Pids.SequenceEqual(other.Pids)
            && CallNames.SequenceEqual(other.CallNames);

    public override int GetHashCode() => HashCode.Combine(ProcessNames.Count, Pids.Count, CallNames.Count);
}
