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
    /// <summary>The process's image name when the process was found (from the per-thread cache on a warm hit).</summary>
    public string? ProcName;
}

/// <summary>Reads the caller from the KPCR: KPCR.Prcb.CurrentThread → ETHREAD.Cid (pid, tid);
/// KTHREAD.ApcState.Process → EPROCESS (name, parent). Short names are cached per process so the hot path does
/// not allocate a string per call. The process and its parent are cached per ETHREAD and checked on every hit against
/// the thread's CLIENT_ID (read whole, one read): an ETHREAD reused by a new thread has another pid or tid, so it is read
/// again; a thread's process and its parent never change while the thread lives. So a warm hit reads the current
/// thread and its CLIENT_ID (2 reads) instead of 5, and takes the process's name from the same entry (an image name never
/// changes: Windows has no exec). One per decoder, i.e. per vCPU: not thread-safe.</summary>
public sealed class WindowsCaller(WindowsProfile profile)
{
    private const int MaxCachedNames = 4096;
    private const int MaxCachedThreads = 4096;
    private readonly Dictionary<(ulong Process, ulong Pid), string> _names = [];
    private readonly Dictionary<ulong, (ulong Pid, ulong Tid, ulong Process, ulong ParentPid, bool HasParent, string Name)> _threads = [];

    /// <summary>Hits whose process came from the per-thread cache, and hits that read it (tests, figures).</summary>
    public long ThreadCacheHits { get; private set; }
    public long ThreadCacheMisses { get; private set; }

    /// <summary>Forgets every cached thread (hits went by unseen).</summary>
    public void ForgetThreads() => _threads.Clear();

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
        caller.HasIds = ReadCid(m, caller.Thread, out caller.Pid, out caller.Tid);
        if (!caller.HasIds) return false;
        if (_threads.TryGetValue(caller.Thread, out var known) && known.Pid == caller.Pid && known.Tid == caller.Tid)
        {
            ThreadCacheHits++;
            (caller.Process, caller.ParentPid, caller.HasParent, caller.ProcName) = (known.Process, known.ParentPid, known.HasParent, known.Name);
            return true;
        }
        ThreadCacheMisses++;
        if (m.TryReadU64(caller.Thread + p.KthreadApcProcess, out caller.Process) && GuestReader.IsKernelAddress(caller.Process))
            caller.HasParent = m.TryReadU64(caller.Process + p.EprocessParentPid, out caller.ParentPid);
        else caller.Process = 0;
        if (caller.Process == 0) return true; // not cached: read again next time
        caller.ProcName = ProcessName(m, caller.Process, caller.Pid);
        if (_threads.Count >= MaxCachedThreads) _threads.Clear();
        _threads[caller.Thread] = (caller.Pid, caller.Tid, caller.Process, caller.ParentPid, caller.HasParent, caller.ProcName);
        return true;
    }

    /// <summary>ETHREAD.Cid: UniqueProcess and UniqueThread, in one read when they are adjacent (they are in every build).</summary>
    private bool ReadCid(IVirtualMemory m, ulong thread, out ulong pid, out ulong tid)
    {
        var p = Profile;
        var cid = thread + p.EthreadCid;
        if (p.CidThread == p.CidProcess + 8)
        {
            Span<byte> both = stackalloc byte[16];
            pid = tid = 0;
            if (m.Read(cid + p.CidProcess, both) != 16) return false;
            pid = BitConverter.ToUInt64(both);
            tid = BitConverter.ToUInt64(both[8..]);
            return true;
        }
        tid = 0;
        return m.TryReadU64(cid + p.CidProcess, out pid) && m.TryReadU64(cid + p.CidThread, out tid);
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
