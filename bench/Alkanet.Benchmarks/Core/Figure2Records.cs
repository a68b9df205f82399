using Alkanet.Core.Records;

namespace Alkanet.Benchmarks.Core;

/// <summary>Records shaped like the paper's figure 2 (an NtCreateFile ENTER/EXIT pair with a path),
/// varied a little so the writer and reader see realistic numbers and strings.</summary>
public static class Figure2Records
{
    private static readonly string[] Files =
    [
        @"0\\??\C:\Windows\Globalization\Sorting\sortdefault.nls",
        @"0\\??\C:\Windows\System32\kernel32.dll",
        @"0\\??\C:\Users\analyst\AppData\Local\Temp\7d317343ffac1b.tmp",
        @"0\\??\C:\Windows\SysWOW64\ntdll.dll",
    ];

    public static SyscallRecord Make(long no, SyscallRecord? into = null)
    {
        var r = into ?? new SyscallRecord();
        r.Reset();
        r.No = no;
        r.CpuId = (int)(no & 1);
        r.LogType = (no & 1) == 0 ? LogType.Enter : LogType.Exit;
        r.Pid = 0x21f4 + (ulong)(no >> 12 & 7);
        r.Tid = 0x21f8 + (ulong)(no >> 10 & 3);
        r.ProcName = "7d317343ffac1b";
        r.Name = "NtCreateFile";
        r.SysNo = 0x55;
        r.RetVal = r.LogType == LogType.Exit ? 0UL : 0UL;
        r.AdditionalInfo.Set("desired_access", "80100080").Set("file_name", Files[(no >> 1) & 3]);
        return r;
    }
}
