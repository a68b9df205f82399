using Alkanet.Core.Records;
using Alkanet.Introspection.Cpu;
using Alkanet.Introspection.Memory;

namespace Alkanet.Introspection.Windows;

/// <summary>Who made a call: the current thread and its process, read from the KPCR.</summary>
public struct CallerInfo
{
    public ulong Kpcr, Thread, Process;
    public ulong Pid, Tid, ParentPid;
    public bool HasIds, HasParent;
}

/// <summary>Reads the caller from the KPCR: KPCR.Prcb.CurrentThread → ETHREAD.Cid (pid, tid);
/// KTHREAD.ApcState.Process → EPROCESS (name, parent). Short names are cached per process so the hot path does
/// not allocate a string per call.</summary>
public sealed class WindowsCaller(WindowsProfile profile)
{
    private const int MaxCachedNames = 4096;
    private readonly Dictionary<(ulong Process, ulong Pid), string> _names = [];

    public WindowsProfile Profile { get; } = profile;

    /// <summary>The KPCR: GS base when it already points into the kernel (after SWAPGS), else KERNEL_GS_BASE
    /// (at the syscall entry instruction GS still holds the user TEB).</summary>
    public static ulong KpcrOf(in VcpuState s) =>
        GuestReader.IsKernelAddress(s.GsBase) ? s.GsBase : GuestReader.IsKernelAddress(s.KernelGsBase) ? s.KernelGsBase : 0;

    public bool TryRead(in VcpuState state, IVirtualMemory m, out CallerInfo caller)
    {
        caller = default;
        var p = Profile;
        caller.Kpcr = KpcrOf(state);
        if (caller.Kpcr == 0) return false;
        if (!m.TryReadU64(caller.Kpcr + p.KpcrPrcb + p.KprcbCurrentThread, out caller.Thread)
            || !GuestReader.IsKernelAddress(caller.Thread)) return false;
        if (m.TryReadU64(caller.Thread + p.EthreadCid + p.CidProcess, out caller.Pid) && m.TryReadU64(caller.Thread + p.EthreadCid + p.CidThread,
            out caller.Tid))
            caller.HasIds = true;
        if (m.TryReadU64(caller.Thread + p.KthreadApcProcess, out caller.Process) && GuestReader.IsKernelAddress(caller.Process))
            caller.HasParent = m.TryReadU64(caller.Process + p.EprocessParentPid, out caller.ParentPid);
        else caller.Process = 0;
        return caller.HasIds;
    }

    /// <summary>EPROCESS.ImageFileName (15 bytes), cached by process and pid (a reused EPROCESS gets a new pid).</summary>
    public string ProcessName(IVirtualMemory m, ulong process, ulong pid)
    {
        if (process == 0) return "";
        if (_names.TryGetValue((process, pid), out var name)) return name;
        var at = process + Profile.EprocessImageFileName;
        name = m.ReadFixedAnsi(at, Profile.ImageFileNameSize) ?? InfoValue.Unreadable(at).ToString(); // the log's form, as a name
        if (_names.Count >= MaxCachedNames) _names.Clear();
        _names[(process, pid)] = name;
        return name;
    }

    /// <summary>The full image path and command line from PEB.ProcessParameters (user memory: readable only in the
    /// process's own address space, and only once mapped).</summary>
    public (string? ImagePath, string? CommandLine) ProcessParameters(IVirtualMemory m, ulong process)
    {
        var p = Profile;
        if (!m.TryReadU64(process + p.EprocessPeb, out var peb) || !GuestReader.IsUserAddress(peb)) return (null, null);
        if (!m.TryReadU64(peb + p.PebProcessParameters, out var parameters) || !GuestReader.IsUserAddress(parameters)) return (null, null);
        var image = m.ReadUnicodeString(parameters + p.ParamsImagePathName, p.UnicodeString, 2048);
        var cmd = m.ReadUnicodeString(parameters + p.ParamsCommandLine, p.UnicodeString, 8192);
        return (image.IsUnreadable ? null : image.ToRecordText(), cmd.IsUnreadable ? null : cmd.ToRecordText());
    }
}
