using System.Text.Json;

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

    internal static readonly JsonEncodedText NoText = JsonEncodedText.Encode(No);
    internal static readonly JsonEncodedText CpuIdText = JsonEncodedText.Encode(CpuId);
    internal static readonly JsonEncodedText LogTypeText = JsonEncodedText.Encode(LogType);
    internal static readonly JsonEncodedText ProcPidText = JsonEncodedText.Encode(ProcPid);
    internal static readonly JsonEncodedText ProcTidText = JsonEncodedText.Encode(ProcTid);
    internal static readonly JsonEncodedText ProcNameText = JsonEncodedText.Encode(ProcName);
    internal static readonly JsonEncodedText NameText = JsonEncodedText.Encode(Name);
    internal static readonly JsonEncodedText SysNoText = JsonEncodedText.Encode(SysNo);
    internal static readonly JsonEncodedText TypeText = JsonEncodedText.Encode(Type);
    internal static readonly JsonEncodedText RetValText = JsonEncodedText.Encode(RetVal);
    internal static readonly JsonEncodedText AdditionalInfoText = JsonEncodedText.Encode(AdditionalInfo);
    internal static readonly JsonEncodedText TimestampNsText = JsonEncodedText.Encode(TimestampNs);
    internal static readonly JsonEncodedText ProcPpidText = JsonEncodedText.Encode(ProcPpid);
    internal static readonly JsonEncodedText ProcSeqText = JsonEncodedText.Encode(ProcSeq);
    internal static readonly JsonEncodedText Cr3Text = JsonEncodedText.Encode(Cr3);
    internal static readonly JsonEncodedText ArgsText = JsonEncodedText.Encode(Args);
}
