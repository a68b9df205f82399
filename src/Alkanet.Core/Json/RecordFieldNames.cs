namespace Alkanet.Core.Json;

/// <summary>The JSON names of a record's fields. The first eleven are the original Alkanet log's and
/// must never change; the rest are additions.</summary>
public static class RecordFieldNames
{
    public const string No = "no";
    public const string CpuId = "cpu_id";
    public const string LogType = "logtype";
    public const string ProcPid = "proc_pid";
    public const string ProcTid = "proc_tid";
    public const string ProcName = "proc_name";
    public const string Name = "name";
    public const string SysNo = "sys_no";
    public const string Type = "type";
    public const string RetVal = "ret_val";
    public const string AdditionalInfo = "additional_info";

    public const string TimestampNs = "timestamp_ns";
    public const string ProcPpid = "proc_ppid";
    public const string ProcSeq = "proc_seq";
    public const string Cr3 = "cr3";
    public const string Args = "args";

    public static readonly IReadOnlyList<string> Original =
        [No, CpuId, LogType, ProcPid, ProcTid, ProcName, Name, SysNo, Type, RetVal, AdditionalInfo];

    public static readonly IReadOnlyList<string> Additions = [TimestampNs, ProcPpid, ProcSeq, Cr3, Args];
}
