namespace Alkanet.Core.Records;

/// <summary>
/// One Alkanet log record: a system call's ENTER or EXIT (or a LOSS marker), as the original
/// Alkanet logged it. The JSON names are the contract (see <see cref="Json.RecordFieldNames"/>);
/// fields after <see cref="AdditionalInfo"/> are our additions and are optional.
/// </summary>
/// <remarks>Mutable on purpose: the tracer and the readers reuse one instance per thread, so the hot
/// path does not allocate a record per call. Call <see cref="Clone"/> to keep one.</remarks>
public sealed class SyscallRecord
{
    /// <summary>"no": run-scoped sequence number, gap-free, so a lost record is visible downstream.</summary>
    public long No { get; set; }

    /// <summary>"cpu_id": the vCPU that made the call.</summary>
    public int CpuId { get; set; }

    /// <summary>"logtype": ENTER, EXIT or LOSS.</summary>
    public LogType LogType { get; set; }

    /// <summary>"proc_pid", lower-case hex in JSON.</summary>
    public ulong Pid { get; set; }

    /// <summary>"proc_tid", lower-case hex in JSON.</summary>
    public ulong Tid { get; set; }

    /// <summary>"proc_name": the kernel's short process name (EPROCESS.ImageFileName, task_struct.comm).</summary>
    public string ProcName { get; set; } = "";

    /// <summary>"name": the call's name (NtCreateFile, openat), or "unknown_N" when the table lacks it.</summary>
    public string Name { get; set; } = "";

    /// <summary>"sys_no", lower-case hex in JSON.</summary>
    public ulong SysNo { get; set; }

    /// <summary>"type": "syscall" for system calls; other kinds of event keep their own word.</summary>
    public string Type { get; set; } = RecordTypes.Syscall;

    /// <summary>"ret_val", lower-case hex in JSON: the NTSTATUS or the 64-bit return register at EXIT, 0 at ENTER.</summary>
    public ulong RetVal { get; set; }

    /// <summary>"additional_info": decoded arguments by name.</summary>
    public AdditionalInfo AdditionalInfo { get; } = new();

    // ---- Additions (new fields, never renamed ones) ----

    /// <summary>"timestamp_ns": nanoseconds since the Unix epoch (UTC) when the hook saw the call; null when unknown.</summary>
    public long? TimestampNs { get; set; }

    /// <summary>"proc_ppid": the parent process id, hex; null when unknown.</summary>
    public ulong? ParentPid { get; set; }

    /// <summary>"proc_seq": a per-run id of the process lifetime, so a reused pid is a new process; null when unknown.</summary>
    public long? ProcSeq { get; set; }

    /// <summary>"cr3": the page-table base at the hit, hex; null when unknown.</summary>
    public ulong? Cr3 { get; set; }

    /// <summary>"args": the raw argument registers (then stack slots) at ENTER, hex; empty when not captured.</summary>
    public ulong[] Args { get; set; } = [];

    /// <summary>Fields this version does not know, kept as raw JSON so a record read and written back loses nothing.</summary>
    public List<KeyValuePair<string, string>>? ExtraFields { get; set; }

    public bool IsEnter => LogType == LogType.Enter;

    public bool IsExit => LogType == LogType.Exit;

    /// <summary>Resets every field so the instance can be reused.</summary>
    public void Reset()
    {
        No = 0;
        CpuId = 0;
        LogType = LogType.Enter;
        Pid = 0;
        Tid = 0;
        ProcName = "";
        Name = "";
        SysNo = 0;
        Type = RecordTypes.Syscall;
        RetVal = 0;
        AdditionalInfo.Clear();
        TimestampNs = null;
        ParentPid = null;
        ProcSeq = null;
        Cr3 = null;
        Args = [];
        ExtraFields = null;
    }

    public SyscallRecord Clone()
    {
        var fresh = new SyscallRecord();
        fresh.CopyFrom(this);
        return fresh;
    }

    public void CopyFrom(SyscallRecord other)
    {
        No = other.No;
        CpuId = other.CpuId;
        LogType = other.LogType;
        Pid = other.Pid;
        Tid = other.Tid;
        ProcName = other.ProcName;
        Name = other.Name;
        SysNo = other.SysNo;
        Type = other.Type;
        RetVal = other.RetVal;
        AdditionalInfo.CopyFrom(other.AdditionalInfo);
        TimestampNs = other.TimestampNs;
        ParentPid = other.ParentPid;
        ProcSeq = other.ProcSeq;
        Cr3 = other.Cr3;
        Args = other.Args.Length == 0 ? [] : (ulong[])other.Args.Clone();
        ExtraFields = other.ExtraFields is null ? null : new(other.ExtraFields);
    }

    /// <summary>A LOSS marker covering records <paramref name="firstLost"/>..<paramref name="lastLost"/> (inclusive):
    /// it takes the first lost number, and the next record carries <c>lastLost + 1</c>.</summary>
    public static SyscallRecord LossMarker(long firstLost, long lastLost, string reason)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(lastLost, firstLost);
        var r = new SyscallRecord { No = firstLost, LogType = LogType.Loss, Type = RecordTypes.Loss, Name = "loss" };
        r.AdditionalInfo.Set(LossFields.First, firstLost.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Set(LossFields.Last, lastLost.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Set(LossFields.Count, (lastLost - firstLost + 1).ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Set(LossFields.Reason, reason);
        return r;
    }

    /// <summary>For a LOSS marker, the last sequence number it covers; otherwise <see cref="No"/>.</summary>
    public long LastCoveredNo =>
        LogType == LogType.Loss && AdditionalInfo.TryGet(LossFields.Last, out var last)
            && long.TryParse(last.Text, System.Globalization.CultureInfo.InvariantCulture, out var n) && n >= No
            ? n
            : No;

    public override string ToString() =>
        $"#{No} cpu{CpuId} {LogType.ToText()} {Pid:x}/{Tid:x} {ProcName} {Name}({SysNo:x}) ret={RetVal:x}";
}

public static class RecordTypes
{
    public const string Syscall = "syscall";
    public const string Loss = "loss";
}

public static class LossFields
{
    public const string First = "first_lost";
    public const string Last = "last_lost";
    public const string Count = "count";
    public const string Reason = "reason";
}
