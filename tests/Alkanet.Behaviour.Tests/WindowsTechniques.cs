using Alkanet.Introspection.TestKit;

namespace Alkanet.Behaviour.Tests;

/// <summary>
/// The Windows half of the corpus: each technique's native calls, as ATT&amp;CK describes the technique (a Run
/// value, a service's ImagePath, a command line of the tool an operator runs...). Each runs in its own process,
/// C:\Users\u\Downloads\ID.exe, started by explorer.exe; samples/corpus/corpus.yaml says what each must give.
/// </summary>
internal static class WindowsTechniques
{
    private const string Hklm = @"\REGISTRY\MACHINE";
    private const string Hkcu = @"\REGISTRY\USER\S-1-5-21-1004336348-1177238915-682003330-1001";
    private const string CurrentVersion = @"\SOFTWARE\Microsoft\Windows\CurrentVersion";
    private const string Services = Hklm + @"\SYSTEM\CurrentControlSet\Services";
    private const string System32 = @"C:\Windows\System32\";

    public static readonly IReadOnlyDictionary<string, Action<WindowsCorpusGuest, SyntheticThread>> All =
        new Dictionary<string, Action<WindowsCorpusGuest, SyntheticThread>>(StringComparer.Ordinal)
        {
            ["win-runkey"] = (g, t) => g.SetValue(t, g.CreateKey(t, Hklm + CurrentVersion + @"\Run"), "Updater", @"C:\ProgramData\upd\upd.exe"),
            ["win-runonce"] = (g, t) =>
                g.SetValue(t, g.CreateKey(t, Hkcu + CurrentVersion + @"\RunOnce"), "Setup", @"C:\Users\u\AppData\Local\upd.exe"),
            ["win-startup"] = (g, t) =>
            {
                var f = g.CreateFile(t, @"C:\Users\u\AppData\Roaming\Microsoft\Windows\Start Menu\Programs\Startup\updater.lnk");
                g.WriteFile(t, f, "L\0\0\0 shell link");
                g.Close(t, f);
            },
            ["win-service"] = (g, t) =>
            {
                var k = g.CreateKey(t, Services + @"\UpdSvc");
                g.SetValue(t, k, "ImagePath", @"C:\ProgramData\upd\updsvc.exe");
                g.SetDword(t, k, "Start", 2);
            },
            ["win-sc-create"] = (g, t) => g.Start(t, System32 + "sc.exe", @"sc.exe create UpdSvc binPath= C:\ProgramData\upd\updsvc.exe start= auto"),
            ["win-taskcache"] = (g, t) =>
                g.SetValue(t, g.CreateKey(t, Hklm + @"\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Schedule\TaskCache\Tree\Updater"), "Id",
                    "{6C3B9F3A-0000-4000-8000-000000000001}"),
            ["win-schtasks"] = (g, t) =>
                g.Start(t, System32 + "schtasks.exe", @"schtasks.exe /create /sc onlogon /tn Updater /tr C:\ProgramData\upd\upd.exe"),
            ["win-ifeo"] = (g, t) =>
                g.SetValue(t, g.CreateKey(t, Hklm + @"\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Image File Execution Options\sethc.exe"),
                    "Debugger", System32 + "cmd.exe"),
            ["win-winlogon"] = (g, t) =>
                g.SetValue(t, g.CreateKey(t, Hklm + @"\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon"), "Userinit",
                    System32 + @"userinit.exe,C:\ProgramData\upd\upd.exe"),
            ["win-wmi-sub"] = (g, t) => g.Start(t, System32 + @"wbem\WMIC.exe",
                @"wmic /namespace:\\root\subscription PATH __EventFilter CREATE Name=""upd"", EventNameSpace=""root\cimv2"", QueryLanguage=""WQL"""),
            ["win-lsass"] = (g, t) => g.OpenProcess(t, g.Lsass, 0x1010 /* PROCESS_VM_READ | PROCESS_QUERY_LIMITED_INFORMATION */),
            ["win-sam-save"] = (g, t) => g.Start(t, System32 + "reg.exe", @"reg.exe save HKLM\SAM C:\Users\Public\sam.save"),
            ["win-vss-delete"] = (g, t) => g.Start(t, System32 + "vssadmin.exe", "vssadmin.exe delete shadows /all /quiet"),
            ["win-defender-reg"] = (g, t) =>
                g.SetDword(t, g.CreateKey(t, Hklm + @"\SOFTWARE\Policies\Microsoft\Windows Defender"), "DisableAntiSpyware", 1),
            ["win-defender-stop"] = (g, t) => g.Start(t, System32 + "sc.exe", "sc.exe stop WinDefend"),
            ["win-evt-clear"] = (g, t) => g.Start(t, System32 + "wevtutil.exe", "wevtutil.exe cl Security"),
            ["win-timestomp"] = (g, t) =>
            {
                var f = g.CreateFile(t, @"C:\ProgramData\upd\config.dat", disposition: 1, access: 0x100 /* FILE_WRITE_ATTRIBUTES */);
                var basic = new byte[40]; // FILE_BASIC_INFORMATION: four dates, then the attributes
                for (var i = 0; i < 4; i++) BitConverter.GetBytes(131_000_000_000_000_000L).CopyTo(basic, i * 8);
                g.SetInformation(t, f, 4, basic);
                g.Close(t, f);
            },
            ["win-hidden"] = (g, t) =>
            {
                var f = g.CreateFile(t, @"C:\ProgramData\upd\state.dat", attributes: 0x2 | 0x4 /* HIDDEN | SYSTEM */);
                g.WriteFile(t, f, "state");
                g.Close(t, f);
            },
            ["win-svchost"] = (g, t) => g.Start(t, @"C:\Users\Public\svchost.exe", @"C:\Users\Public\svchost.exe -k netsvcs"),
            ["win-selfdel"] = (g, t) =>
            {
                var self = g.CreateFile(t, @"C:\Users\u\Downloads\win-selfdel.exe", disposition: 1, access: 0x10000 /* DELETE */);
                g.SetInformation(t, self, 13, [1]); // FileDispositionInformation { DeleteFile = TRUE }
                g.Close(t, self);
            },
            ["win-sam-file"] = (g, t) => g.Close(t, g.CreateFile(t, @"C:\Windows\System32\config\SAM", disposition: 1, access: 0x80100000)),
            ["win-netuser"] = (g, t) => g.Start(t, System32 + "net.exe", "net.exe user /domain"),
            ["win-driver"] = (g, t) => g.Call(t, "NtLoadDriver", [t.Process.UnicodeString(Services + @"\upddrv")]),
            ["win-whoami"] = (g, t) => g.Start(t, System32 + "whoami.exe", "whoami.exe /all"),
            ["win-systeminfo"] = (g, t) => g.Start(t, System32 + "systeminfo.exe", "systeminfo.exe"),
            ["win-ipconfig"] = (g, t) => g.Start(t, System32 + "ipconfig.exe", "ipconfig.exe /all"),
            ["win-tasklist"] = (g, t) => g.Start(t, System32 + "tasklist.exe", "tasklist.exe /v"),
            ["win-av-keys"] = (g, t) => g.QueryValue(t, g.OpenKey(t, Hklm + @"\SOFTWARE\Microsoft\Windows Defender"), "ProductStatus"),
            ["win-vm-keys"] = (g, t) => g.QueryValue(t, g.OpenKey(t, Hklm + @"\SOFTWARE\VMware, Inc.\VMware Tools"), "InstallPath"),
            ["win-debugger"] = (g, t) =>
                g.Call(t, "NtQueryInformationProcess", [ulong.MaxValue, 7 /* ProcessDebugPort */, t.Process.UserAlloc(8, 8), 8, 0]),
            ["win-ransom"] = (g, t) =>
            {
                for (var i = 1; i <= 6; i++)
                {
                    var doc = $@"C:\Users\u\Documents\report{i}.docx";
                    var f = g.CreateFile(t, doc, disposition: 1, access: 0xC0010000 /* GENERIC_READ|GENERIC_WRITE|DELETE */);
                    g.WriteFile(t, f, "encrypted-looking bytes");
                    g.Rename(t, f, doc + ".locked");
                    g.Close(t, f);
                }
            },
            ["win-inject"] = (g, t) => Inject(g, t),
            ["win-archive"] = (g, t) =>
            {
                var f = g.CreateFile(t, @"C:\Users\u\AppData\Local\Temp\docs.zip");
                g.WriteFile(t, f, "PK\u0003\u0004");
                g.Close(t, f);
            },
            ["win-benign"] = Benign,
        };

    /// <summary>A remote thread in explorer.exe: open, allocate, write, start (T1055.002).</summary>
    private static void Inject(WindowsCorpusGuest g, SyntheticThread t)
    {
        var p = t.Process;
        var h = g.OpenProcess(t, g.Explorer, 0x1FFFFF);
        const ulong Base = 0x0000_0200_0000_0000UL;
        g.Call(t, "NtAllocateVirtualMemory", [h, p.U64(0), 0, p.U64(0x1000), 0x3000, 0x40 /* PAGE_EXECUTE_READWRITE */]);
        g.Call(t, "NtWriteVirtualMemory", [h, Base, p.Bytes([0x90, 0x90, 0xC3]), 3, p.U64(0)]);
        var remote = g.Explorer.AddThread();
        var outPtr = p.U64(0);
        g.Call(t, "NtCreateThreadEx", [outPtr, 0x1FFFFF, 0, h, Base, 0, 0, 0, 0, 0, 0], 0,
            () => p.Tables.WriteU64(outPtr, p.AddHandle(remote.Ethread)));
    }

    /// <summary>An ordinary program: reads its settings and the OS version, writes a report in Documents, starts
    /// Notepad, waits a moment. No technique: it must give no medium or high finding.</summary>
    private static void Benign(WindowsCorpusGuest g, SyntheticThread t)
    {
        g.QueryValue(t, g.OpenKey(t, Hklm + @"\SOFTWARE\Microsoft\Windows NT\CurrentVersion"), "ProductName");
        g.QueryValue(t, g.OpenKey(t, Hkcu + @"\SOFTWARE\Contoso\Reporter"), "OutputFolder");
        var settings = g.CreateFile(t, @"C:\Users\u\AppData\Roaming\Contoso\settings.ini", disposition: 1, access: 0x80100000 /* GENERIC_READ */);
        g.Close(t, settings);
        var report = g.CreateFile(t, @"C:\Users\u\Documents\report.txt");
        g.WriteFile(t, report, "quarterly figures\r\n");
        g.Close(t, report);
        g.Start(t, System32 + "notepad.exe", @"notepad.exe C:\Users\u\Documents\report.txt");
        g.Call(t, "NtDelayExecution", [0, t.Process.U64(unchecked((ulong)-5_000_000))]); // 0.5 s
    }
}
