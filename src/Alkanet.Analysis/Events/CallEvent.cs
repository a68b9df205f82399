using Alkanet.Core.Records;

namespace Alkanet.Analysis.Events;

/// <summary>
/// One system call as the analysis sees it: an ENTER and its EXIT merged (arguments from both sides,
/// the EXIT's values winning), or a lone side when the other is missing. Importers for other tools'
/// logs produce the same shape. Reused by sources: consumers copy what they keep.
/// </summary>
public sealed class CallEvent
{
    /// <summary>The record number that opens the call (the ENTER's <c>no</c>, or the EXIT's when no ENTER was seen).</summary>
    public long No { get; set; }

    /// <summary>The EXIT's record number, or -1 when the call did not return in the log.</summary>
    public long ExitNo { get; set; } = -1;

    public ulong Pid { get; set; }

    public ulong Tid { get; set; }

    public ulong? ParentPid { get; set; }

    public long? ProcSeq { get; set; }

    public string ProcName { get; set; } = "";

    public string Name { get; set; } = "";

    public bool HasReturn { get; set; }

    public ulong RetVal { get; set; }

    public long? TimestampNs { get; set; }

    /// <summary>The decoded arguments, in the shared vocabulary of docs/RECORD.md.</summary>
    public AdditionalInfo Info { get; set; } = new();

    /// <summary>Set on the first EXIT of a forked child (<c>additional_info.unpaired = fork_child</c>).</summary>
    public bool IsForkChildReturn { get; set; }

    /// <summary>Every record number that makes up this event (ENTER, EXIT), for evidence.</summary>
    public IEnumerable<long> RecordNumbers => ExitNo >= 0 && ExitNo != No ? [No, ExitNo] : [No];

    /// <summary>True when the call failed: an NTSTATUS error for Windows calls, -4095..-1 for Linux calls.
    /// A call that did not return counts as made.</summary>
    public bool Failed
    {
        get
        {
            if (!HasReturn) return false;
            if (CallNames.IsWindows(Name)) return (int)(uint)RetVal < 0;
            var v = (long)RetVal;
            return v is >= -4095 and < 0;
        }
    }

    public bool Succeeded => !Failed;

    public string? this[string name] => Info[name];
}

/// <summary>A consumer of call events (the analyzer, a counter).</summary>
public interface ICallEventSink
{
    void OnEvent(CallEvent e);

    /// <summary>A process fact an importer knows without a call (CAPE's process list, DRAKVUF's running-process lines).</summary>
    void OnProcessFact(ProcessFact fact);

    /// <summary>Records lost by the tracer (LOSS markers).</summary>
    void OnLoss(long first, long count);
}

/// <param name="No">The record number of the process's first call, or -1 when it made none.</param>
/// <param name="NewLifetime">The source knows this is another lifetime than an earlier one of the same pid.</param>
public sealed record ProcessFact(ulong Pid, ulong? ParentPid, string Name, string? Image, string? CommandLine, long No, long? TimestampNs,
    bool NewLifetime = false);

public static class CallNames
{
    /// <summary>Windows native calls carry NTSTATUS returns; every other name is treated as a Linux call.</summary>
    public static bool IsWindows(string name) =>
        name.Length > 2 && ((name[0] == 'N' && name[1] == 't') || (name[0] == 'Z' && name[1] == 'w')) && char.IsUpper(name[2]);
}
