using Alkanet.Core.Records;

namespace Alkanet.Logging.Tests;

/// <summary>Realistic records: a few processes with a parent chain, common calls, paths and handles.</summary>
internal static class TestRecords
{
    private static readonly string[] Procs = ["explorer.exe", "cmd.exe", "sample.exe", "svchost.exe"];
    private static readonly string[] Calls = ["NtCreateFile", "NtReadFile", "NtWriteFile", "NtClose", "NtOpenKey", "NtQueryValueKey"];

    public static void Fill(SyscallRecord r, long no, long baseTs = 1_700_000_000_000_000_000)
    {
        r.Reset();
        var p = (int)(no / 7 % Procs.Length);
        r.No = no;
        r.CpuId = (int)(no % 2);
        r.LogType = no % 2 == 0 ? LogType.Enter : LogType.Exit;
        r.Pid = (ulong)(0x100 + p * 4);
        r.Tid = r.Pid + 4;
        r.ProcName = Procs[p];
        r.Name = Calls[(int)(no / 2 % Calls.Length)];
        r.SysNo = (ulong)(0x55 + no / 2 % Calls.Length);
        r.RetVal = r.LogType == LogType.Exit ? 0u : 0;
        r.TimestampNs = baseTs + no * 1000;
        r.ParentPid = p == 0 ? 4ul : (ulong)(0x100 + (p - 1) * 4);
        if (r.LogType == LogType.Enter)
        {
            r.AdditionalInfo.Set("FileName", $"\\??\\C:\\Users\\alice\\file{no % 100}.txt");
            r.AdditionalInfo.Set("DesiredAccess", "0x120089");
            r.Args = [0x10, (ulong)no, 0x7ff0_0000_1000];
        }
        else
        {
            r.AdditionalInfo.Set("FileHandle", $"0x{no % 512:x}");
        }
    }

    public static SyscallRecord Make(long no)
    {
        var r = new SyscallRecord();
        Fill(r, no);
        return r;
    }
}
