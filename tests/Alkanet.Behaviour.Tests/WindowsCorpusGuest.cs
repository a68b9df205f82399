using System.Text;
using Alkanet.Core.Json;
using Alkanet.Core.Records;
using Alkanet.Introspection.Memory;
using Alkanet.Introspection.Symbols;
using Alkanet.Introspection.TestKit;
using Alkanet.Introspection.Hooks;
using Alkanet.Introspection.Windows;

namespace Alkanet.Behaviour.Tests;

/// <summary>
/// The synthetic Windows 10 1909 guest of the test kit with a discovered kernel and the real Windows decoder: a
/// technique is a sequence of native calls made by a process of its own (started by explorer.exe with
/// NtCreateUserProcess, so the log names its image), each decoded at ENTER and EXIT from the guest's memory and
/// registers into the records a live run logs. Nothing here writes a record by hand.
/// </summary>
internal sealed class WindowsCorpusGuest
{
    public const ulong ExplorerPid = 0x400;
    public const ulong LsassPid = 0x2c4;
    private static readonly ProfileStore Store = new(Path.Combine(Path.GetTempPath(), "alkanet-no-such-profiles"));
    private static readonly Lazy<IsfFile> Nt1909 = new(() => Store.LoadDefault());

    private readonly WindowsSyscallDecoder _decoder;
    private readonly WindowsKernelInfo _kernel;
    private readonly List<SyscallRecord> _records = [];
    private ulong _nextPid = 0x1000;

    public WindowsCorpusGuest()
    {
        Guest = new SyntheticWindowsGuest(Nt1909.Value);
        Explorer = Guest.AddProcess(ExplorerPid, "explorer.exe", 0x3a0, @"C:\Windows\explorer.exe", @"C:\Windows\explorer.exe");
        ExplorerThread = Explorer.AddThread();
        _kernel = WindowsKernel.Discover(Guest.EnterState(ExplorerThread, 0), Guest.Physical, Store);
        if (!_kernel.Ok) throw new InvalidOperationException(_kernel.Error);
        _decoder = new WindowsSyscallDecoder(_kernel);
        Lsass = Guest.AddProcess(LsassPid, "lsass.exe", 0x2a0, @"C:\Windows\System32\lsass.exe", @"C:\Windows\system32\lsass.exe");
        LsassThread = Lsass.AddThread();
        // LSASS is busy on a real system: one call of its own makes it known to the analysis, as in a live log.
        Call(LsassThread, "NtDelayExecution", [0, Lsass.U64(unchecked((ulong)-10_000))]);
    }

    public SyntheticWindowsGuest Guest { get; }
    public SyntheticProcess Explorer { get; }
    public SyntheticThread ExplorerThread { get; }
    public SyntheticProcess Lsass { get; }
    public SyntheticThread LsassThread { get; }

    public IReadOnlyList<SyscallRecord> Records => _records;

    /// <summary>One call: ENTER decoded, then <paramref name="beforeExit"/> (what the kernel would write back), then
    /// EXIT decoded with <paramref name="status"/>.</summary>
    public void Call(SyntheticThread thread, string name, ulong[] args, uint status = 0, Action? beforeExit = null)
    {
        var number = _kernel.Syscalls!.Table.TryGetNumber(name, out var n) ? n : throw new ArgumentException($"{name} is not in the 1909 table");
        var memory = Guest.MemoryOf(thread.Process);
        Decode(memory, Guest.EnterState(thread, number, args), SiteKind.Enter);
        beforeExit?.Invoke();
        Decode(memory, Guest.ExitState(thread, status), SiteKind.Exit);
    }

    private void Decode(PagedVirtualMemory memory, Introspection.Cpu.VcpuState state, SiteKind site)
    {
        var r = new SyscallRecord();
        memory.SetCr3(state.Cr3);
        if (!_decoder.Decode(state, memory, site, r)) throw new InvalidOperationException($"the decoder refused a {site} record");
        r.No = _records.Count;
        r.TimestampNs = 1_800_000_000_000_000_000 + (r.No * 1000);
        _records.Add(r);
    }

    /// <summary>explorer.exe starts <paramref name="imagePath"/> (a DOS path) with <paramref name="commandLine"/>;
    /// returns the new process and its first thread.</summary>
    public (SyntheticProcess Process, SyntheticThread Thread) Start(SyntheticThread parent, string imagePath, string commandLine)
    {
        var p = parent.Process;
        var g = Guest;
        var parameters = p.UserAlloc(g.Size("_RTL_USER_PROCESS_PARAMETERS"));
        p.Tables.WriteU32(parameters + g.Off("_RTL_USER_PROCESS_PARAMETERS", "Flags"), 1); // normalised
        p.WriteUnicodeString(parameters + g.Off("_RTL_USER_PROCESS_PARAMETERS", "ImagePathName"), @"\??\" + imagePath);
        p.WriteUnicodeString(parameters + g.Off("_RTL_USER_PROCESS_PARAMETERS", "CommandLine"), commandLine);
        var pid = _nextPid;
        _nextPid += 0x10;
        var shortName = imagePath[(imagePath.LastIndexOf('\\') + 1)..];
        var child = g.AddProcess(pid, shortName.Length > 14 ? shortName[..14] : shortName, p.Pid, imagePath, commandLine);
        var thread = child.AddThread();
        var processOut = p.U64(0);
        var threadOut = p.U64(0);
        Call(parent, "NtCreateUserProcess", [processOut, threadOut, 0x2000000, 0x2000000, 0, 0, 0x200, 1, parameters, p.UserAlloc(0x58), 0], 0, () =>
        {
            p.Tables.WriteU64(processOut, p.AddHandle(child.Eprocess));
            p.Tables.WriteU64(threadOut, p.AddHandle(thread.Ethread));
        });
        return (child, thread);
    }

    /// <summary>NtCreateKey on <paramref name="objectName"/> (\REGISTRY\...); returns the key's handle.</summary>
    public ulong CreateKey(SyntheticThread t, string objectName, uint access = 0x20006)
    {
        var p = t.Process;
        var handle = p.AddHandle(Guest.AddKey(objectName), access);
        var outPtr = p.U64(0);
        Call(t, "NtCreateKey", [outPtr, access, p.ObjectAttributes(objectName), 0, 0, 0, p.UserAlloc(4, 4)], 0,
            () => p.Tables.WriteU64(outPtr, handle));
        return handle;
    }

    /// <summary>NtOpenKeyEx for reading.</summary>
    public ulong OpenKey(SyntheticThread t, string objectName)
    {
        var p = t.Process;
        var handle = p.AddHandle(Guest.AddKey(objectName), 0x20019);
        var outPtr = p.U64(0);
        Call(t, "NtOpenKeyEx", [outPtr, 0x20019, p.ObjectAttributes(objectName), 0], 0, () => p.Tables.WriteU64(outPtr, handle));
        return handle;
    }

    public void SetValue(SyntheticThread t, ulong key, string valueName, string text)
    {
        var p = t.Process;
        var data = Encoding.Unicode.GetBytes(text + "\0");
        Call(t, "NtSetValueKey", [key, p.UnicodeString(valueName), 0, 1 /* REG_SZ */, p.Bytes(data), (ulong)data.Length]);
    }

    public void SetDword(SyntheticThread t, ulong key, string valueName, uint value)
    {
        var p = t.Process;
        Call(t, "NtSetValueKey", [key, p.UnicodeString(valueName), 0, 4 /* REG_DWORD */, p.Bytes(BitConverter.GetBytes(value)), 4]);
    }

    public void QueryValue(SyntheticThread t, ulong key, string valueName)
    {
        var p = t.Process;
        Call(t, "NtQueryValueKey", [key, p.UnicodeString(valueName), 2, p.UserAlloc(64), 64, p.UserAlloc(4)]);
    }

    /// <summary>NtCreateFile on <paramref name="dosPath"/> (C:\...) with a disposition (1 open, 5 overwrite-if) and
    /// attributes; returns the file's handle.</summary>
    public ulong CreateFile(SyntheticThread t, string dosPath, uint disposition = 5, uint attributes = 0x80, uint access = 0x40100000)
    {
        var p = t.Process;
        // The file object's name as the kernel keeps it: the volume's device, then the path on the volume.
        var handle = p.AddHandle(Guest.AddFile(@"\Device\HarddiskVolume2" + dosPath[2..]), 0x120116);
        var outPtr = p.U64(0);
        Call(t, "NtCreateFile",
            [outPtr, access, p.ObjectAttributes(@"\??\" + dosPath), p.UserAlloc(16, 8), 0, attributes, 0, disposition, 0x60, 0, 0], 0,
            () => p.Tables.WriteU64(outPtr, handle));
        return handle;
    }

    public void WriteFile(SyntheticThread t, ulong file, string text)
    {
        var p = t.Process;
        var bytes = Encoding.ASCII.GetBytes(text);
        Call(t, "NtWriteFile", [file, 0, 0, 0, p.UserAlloc(16, 8), p.Bytes(bytes), (ulong)bytes.Length, 0, 0]);
    }

    /// <summary>NtSetInformationFile with a class and its buffer.</summary>
    public void SetInformation(SyntheticThread t, ulong file, uint infoClass, byte[] buffer) =>
        Call(t, "NtSetInformationFile", [file, t.Process.UserAlloc(16, 8), t.Process.Bytes(buffer), (ulong)buffer.Length, infoClass]);

    /// <summary>FILE_RENAME_INFORMATION { BOOLEAN ReplaceIfExists; HANDLE RootDirectory @8; ULONG FileNameLength @16; WCHAR FileName @20 }.</summary>
    public void Rename(SyntheticThread t, ulong file, string newDosPath)
    {
        var name = Encoding.Unicode.GetBytes(@"\??\" + newDosPath);
        var buffer = new byte[20 + name.Length];
        BitConverter.GetBytes((uint)name.Length).CopyTo(buffer, 16);
        name.CopyTo(buffer, 20);
        SetInformation(t, file, 10, buffer);
    }

    public void Close(SyntheticThread t, ulong handle) => Call(t, "NtClose", [handle]);

    /// <summary>NtOpenProcess of <paramref name="target"/> with <paramref name="access"/>; returns the handle.</summary>
    public ulong OpenProcess(SyntheticThread t, SyntheticProcess target, uint access)
    {
        var p = t.Process;
        var handle = p.AddHandle(target.Eprocess, access);
        var outPtr = p.U64(0);
        Call(t, "NtOpenProcess", [outPtr, access, p.ObjectAttributes(null, 0, 0), p.ClientId(target.Pid, 0)], 0,
            () => p.Tables.WriteU64(outPtr, handle));
        return handle;
    }

    /// <summary>The records so far as JSON Lines (the shape `alkanet run` writes).</summary>
    public string ToJsonLines()
    {
        var sb = new StringBuilder();
        var writer = new RecordJsonWriter();
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        foreach (var r in _records)
        {
            buffer.ResetWrittenCount();
            writer.Write(r, buffer);
            sb.Append(Encoding.UTF8.GetString(buffer.WrittenSpan)).Append('\n');
        }
        return sb.ToString();
    }
}
