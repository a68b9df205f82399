using System.Buffers.Binary;
using System.Collections.Concurrent;
using Alkanet.Core.Records;
using Alkanet.Introspection.Cpu;
using Alkanet.Introspection.Hooks;
using Alkanet.Introspection.Memory;

namespace Alkanet.Introspection.Linux;

/// <summary>
/// Turns hook hits at the Linux profile's sites into Alkanet records. Hook-neutral: the TCG plugin and the
/// gdbstub client both hand it the vCPU registers (<see cref="VcpuState"/>: RDI, RSI, gs_base, CR3) and the
/// hitting vCPU's virtual memory, and get a filled, reused <see cref="SyscallRecord"/> back.
/// Thread-safe across vCPUs (one caller per vCPU at a time). Tasks are known by their pt_regs address (RDI at
/// every site): it sits at the top of the task's own kernel stack, so it names the task without reading
/// current_task, and the task's pid/tgid/comm are cached under it. A new user task's first hit is always its
/// first return from fork (an EXIT with no ENTER), where the cache entry is re-read, so a reused stack never
/// shows its previous owner; execve and prctl re-read comm, exit/exit_group drop the entry (<see cref="LinuxTaskCache"/>).
/// ENTER/EXIT pairing is per task too (a task may block on one vCPU and return on another), held in the same slot,
/// so a hit costs one dictionary read and allocates nothing.
/// </summary>
public sealed class LinuxSyscallTracer
{
    private readonly LinuxProfile _profile;
    private readonly LinuxTaskReader _tasks;
    private readonly LinuxSyscallDecoder _decoder;
    private readonly LinuxCompatDecoder _compat;
    private readonly int _threadStatus;
    private readonly int _regsSize;
    private readonly int _di, _si, _dx, _r10, _r8, _r9, _ax, _origAx, _bx, _cx, _bp;
    private readonly HashSet<ulong> _forkCalls64, _forkCalls32;
    private const uint TsCompat = 0x0002; // TS_COMPAT in thread_info.status (arch/x86/include/asm/thread_info.h): in a 32-bit call
    private readonly bool[] _decoded64;
    private readonly LinuxTaskCache _cache = new();
    private readonly ConcurrentDictionary<ulong, long> _procSeqByTgid = new();
    private long _lastProcSeq;
    private ulong[][] _cpuArgs = new ulong[8][];

    public LinuxSyscallTracer(LinuxProfile profile)
    {
        _profile = profile;
        _tasks = new LinuxTaskReader(profile);
        _decoder = new LinuxSyscallDecoder(_tasks, profile);
        _compat = new LinuxCompatDecoder(_decoder);
        _threadStatus = profile.Offset("task_struct.thread_info") + profile.Offset("thread_info.status");
        _regsSize = profile.Sizes["pt_regs"];
        _di = profile.Offset("pt_regs.di"); _si = profile.Offset("pt_regs.si"); _dx = profile.Offset("pt_regs.dx");
        _r10 = profile.Offset("pt_regs.r10"); _r8 = profile.Offset("pt_regs.r8"); _r9 = profile.Offset("pt_regs.r9");
        _ax = profile.Offset("pt_regs.ax"); _origAx = profile.Offset("pt_regs.orig_ax");
        _bx = profile.Offset("pt_regs.bx"); _cx = profile.Offset("pt_regs.cx"); _bp = profile.Offset("pt_regs.bp");
        _forkCalls64 = ForkCalls(profile.Syscalls64);
        _forkCalls32 = ForkCalls(profile.Syscalls32);
        for (var i = 0; i < _cpuArgs.Length; i++) _cpuArgs[i] = new ulong[6];
        // the last entry stands for every number past the table (not decoded)
        _decoded64 = new bool[profile.Syscalls64.Count + 1];
        for (var n = 0; n < profile.Syscalls64.Count; n++)
            _decoded64[n] = profile.Syscalls64.Name((ulong)n) is { } callName && LinuxDecodedCalls.HasArguments(callName);
    }

    private static HashSet<ulong> ForkCalls(LinuxSyscallTable table) =>
        [.. new[] { "clone", "clone3", "fork", "vfork" }.Select(n => (ulong)(long)table.Number(n)).Where(n => (long)n >= 0)];

    public LinuxProfile Profile => _profile;

    /// <summary>True (the default): read every call's pt_regs at ENTER, so each ENTER carries its raw <c>args</c>.
    /// False: only the decoded calls read it (one guest-memory read saved per other call); the number then comes
    /// from RSI, which the hook must have read. The TCG plugin sets this from its <c>args=all|decoded</c> option.</summary>
    public bool ArgsForEveryCall { get; set; } = true;

    /// <summary>Capture the bytes of writes (see <see cref="LinuxSyscallDecoder.CaptureWrites"/>); the plugin's <c>capture=on</c>.</summary>
    public bool CaptureWrites { get => _decoder.CaptureWrites; set => _decoder.CaptureWrites = value; }

    /// <summary>The per-call cap of the capture (bytes; the plugin's <c>capture_call=BYTES</c>).</summary>
    public int CaptureCallBytes { get => _decoder.CaptureCallBytes; set => _decoder.CaptureCallBytes = value; }

    /// <summary>Null: capture every process's writes (<c>capture=all</c>); else only those of the scope (<c>capture=sample</c>).</summary>
    public LinuxCaptureScope? CaptureScope { get; set; }

    /// <summary>The KASLR slide (runtime minus link-time address) once known.</summary>
    public ulong Slide { get; set; }

    /// <summary>Runtime address of the site of <paramref name="kind"/> under the current <see cref="Slide"/>.</summary>
    public ulong SiteAddress(SiteKind kind) => _profile.Site(kind).LinkAddress + Slide;

    /// <summary>Calls waiting for their EXIT (for tests and the run summary).</summary>
    public int PendingCount
    {
        get
        {
            var n = 0;
            foreach (var slot in _cache.Slots) if (slot.Pending) n++;
            return n;
        }
    }

    /// <summary>The per-task cache (identities and pending calls).</summary>
    public LinuxTaskCache Tasks => _cache;

    /// <summary>Hits went by undecoded (a paused run): any task may have changed or ended unseen.</summary>
    public void ForgetTasks() => _cache.ForgetAll();

    /// <summary>Handles a hit at a site of <paramref name="kind"/>. Returns false when there is nothing to log.</summary>
    public bool OnHit(SiteKind kind, in VcpuState cpu, IVirtualMemory mem, SyscallRecord record) =>
        kind == SiteKind.Exit ? OnExit(cpu, mem, record) : OnEnter(kind == SiteKind.Enter32, cpu, mem, record);

    /// <summary>ENTER at x64_sys_call / ia32_sys_call: RDI = pt_regs, ESI = the call number.</summary>
    public bool OnEnter(bool ia32, in VcpuState cpu, IVirtualMemory mem, SyscallRecord record)
    {
        record.Reset();
        var slot = _cache.Slot(cpu.Rdi);
        var task = TaskOf(slot, cpu, mem, refresh: false);
        var args = ArgsFor(cpu.CpuIndex);
        Span<byte> regs = stackalloc byte[_regsSize];
        var skipRegs = !ArgsForEveryCall && !ia32 && !_decoded64[Math.Min((uint)cpu.Rsi, (uint)_decoded64.Length - 1)];
        var regsRead = !skipRegs && mem.Read(cpu.Rdi, regs) == _regsSize;
        // The number: ESI at the site is (unsigned) regs->orig_ax, so the saved copy serves and a hook need not read RSI.
        var nr = regsRead ? (ulong)(uint)U64(regs, _origAx) : (ulong)(uint)cpu.Rsi;
        var table = ia32 ? _profile.Syscalls32 : _profile.Syscalls64;
        var name = table.NameOrUnknown(nr);
        Fill(record, cpu, task, LogType.Enter, nr, name);
        if (ia32) record.AdditionalInfo.Set("abi", "ia32");
        if (regsRead)
        {
            if (ia32)
            {   // int 0x80: ebx, ecx, edx, esi, edi, ebp
                args[0] = (uint)U64(regs, _bx); args[1] = (uint)U64(regs, _cx); args[2] = (uint)U64(regs, _dx);
                args[3] = (uint)U64(regs, _si); args[4] = (uint)U64(regs, _di); args[5] = (uint)U64(regs, _bp);
            }
            else
            {
                args[0] = U64(regs, _di); args[1] = U64(regs, _si); args[2] = U64(regs, _dx);
                args[3] = U64(regs, _r10); args[4] = U64(regs, _r8); args[5] = U64(regs, _r9);
            }
            record.Args = args;
            var scope = CaptureScope;
            var inScope = scope is null || scope.Contains(task.Tgid);
            if (!ia32) _decoder.DecodeEnter(name, args, mem, task.Task, record.AdditionalInfo, inScope: inScope);
            else record.Name = name = _compat.DecodeEnter(name, args, mem, task.Task, record.AdditionalInfo, inScope); // socketcall: its sub-call
            if (scope is not null && inScope && name is "ptrace" or "process_vm_writev")
                scope.OnInject(task.Tgid, (uint)(name == "ptrace" ? args[1] : args[0]));
        }
        else if (!skipRegs)
        {
            record.AdditionalInfo.Set("regs", InfoValue.Unreadable(cpu.Rdi));
        }
        if (name == "exit_group") CaptureScope?.OnExit(task.Tgid);
        if (name is "exit_group" or "exit")
        {   // never returns: nothing to pair, the stack will be reused; the children will get another parent
            _cache.Forget(cpu.Rdi);
            _cache.ForgetChildrenOf(task.Tgid);
            return true;
        }
        slot.Pending = true;
        slot.Number = nr;
        slot.Name = name;
        slot.Ia32 = ia32;
        slot.Arg0 = regsRead && !ia32 ? args[0] : ulong.MaxValue;
        // the EXIT reads ax and orig_ax here: pinned now (this hit walked to them already), no walk and no CR3 then
        slot.RegsPhysical = regsRead && mem is IPinnableMemory pin && pin.TryPin(cpu.Rdi, _regsSize, out var at) ? at : 0;
        slot.Unread = HasUnreadable(record.AdditionalInfo) ? CopyOf(record.AdditionalInfo) : null;
        return true;
    }

    /// <summary>EXIT at syscall_exit_to_user_mode_prepare: RDI = pt_regs; the call is named by its ENTER.</summary>
    public bool OnExit(in VcpuState cpu, IVirtualMemory mem, SyscallRecord record)
    {
        record.Reset();
        var slot = _cache.Slot(cpu.Rdi);
        var pinned = slot.Pending ? slot.RegsPhysical : 0;
        slot.RegsPhysical = 0;
        // ax and orig_ax in one read (40 bytes apart in x86-64's pt_regs)
        var lo = Math.Min(_ax, _origAx);
        Span<byte> regs = stackalloc byte[64];
        regs = regs[..Math.Min(64, Math.Abs(_ax - _origAx) + 8)];
        var ret = 0UL;
        var origAx = ulong.MaxValue;
        var oneRead = Math.Abs(_ax - _origAx) + 8 <= regs.Length;
        // The pin is trusted only when it shows the pending call's number: anything else (-1 after rt_sigreturn, or a
        // task that died inside a call unseen, its stack remapped) is read again through the page tables.
        var read = oneRead && pinned != 0 && lo + regs.Length <= _regsSize && mem is IPinnableMemory pin
            && pin.TryReadPinned(pinned + (ulong)lo, regs) && U64(regs, _origAx - lo) == slot.Number;
        if (!read) read = oneRead && mem.Read(cpu.Rdi + (ulong)lo, regs) == regs.Length;
        if (read)
        {
            ret = U64(regs, _ax - lo);
            origAx = U64(regs, _origAx - lo);
        }
        else
        {
            if (mem.TryReadU64(cpu.Rdi + (ulong)_ax, out var r)) ret = r;
            if (mem.TryReadU64(cpu.Rdi + (ulong)_origAx, out var o)) origAx = o;
        }
        string name;
        ulong nr;
        // A pending ENTER pairs unless the saved number says otherwise (-1 after rt_sigreturn keeps the ENTER's).
        LinuxTaskInfo task;
        var arg0 = ulong.MaxValue;
        var pending = slot.Pending;
        slot.Pending = false;
        if (pending && (origAx == ulong.MaxValue || origAx == slot.Number || (long)origAx < 0))
        {
            nr = slot.Number;
            name = slot.Name;
            arg0 = slot.Arg0;
            var unreadAtEnter = slot.Unread;
            slot.Unread = null;
            // By the EXIT of execve or prctl(PR_SET_NAME) the kernel has already switched comm (and an execve by a
            // non-leader thread its pid): show the new identity.
            task = TaskOf(slot, cpu, mem, refresh: name is "execve" or "execveat" or "prctl");
            Fill(record, cpu, task, LogType.Exit, nr, name);
            if (slot.Ia32) record.AdditionalInfo.Set("abi", "ia32");
            if (unreadAtEnter is { } unread)
            {   // a string unmapped at ENTER: the kernel has faulted it in by now
                LinuxSyscallDecoder.RetryPath(unread, mem);
                foreach (var kv in unread) if (!kv.Value.IsJson && !kv.Value.IsUnreadable) record.AdditionalInfo.Set(kv.Key, kv.Value);
                if (name is "execve" or "execveat")
                    record.AdditionalInfo.Set("path", unread.TryGet("path", out var path) ? path : InfoValue.String(""));
                if (name is "execve" or "execveat" && unread.TryGet("argv", out var argv)) record.AdditionalInfo.Set("argv", argv);
            }
        }
        else
        {
            nr = origAx;
            // No ENTER to say which ABI: the task's TS_COMPAT (set for a 32-bit call until the return to user mode,
            // and copied into a fork child) does.
            var ia32 = InCompatCall(cpu, mem);
            var table = ia32 ? _profile.Syscalls32 : _profile.Syscalls64;
            var forkChild = (ia32 ? _forkCalls32 : _forkCalls64).Contains(nr) && ret == 0;
            slot.Unread = null;
            // a new task (first return from fork) or one running since before tracing
            task = TaskOf(slot, cpu, mem, refresh: true, newProcess: forkChild);
            if (forkChild) CaptureScope?.OnForkChild(task.Tgid, task.ParentTgid);
            name = (long)nr < 0 ? "unknown" : table.NameOrUnknown(nr);
            Fill(record, cpu, task, LogType.Exit, nr, name);
            if (ia32) record.AdditionalInfo.Set("abi", "ia32");
            // Why there was no ENTER: a fork child's first return; a number the kernel refused before dispatch
            // (out of the table: x64_sys_call never runs, the EXIT sees -ENOSYS); or a call already running.
            var why = forkChild ? "fork_child"
                : nr >= (ulong)table.Count && nr != ulong.MaxValue && ret == unchecked((ulong)-38) ? "not_dispatched"
                : "trace_started";
            record.AdditionalInfo.Set("unpaired", why);
        }
        record.RetVal = ret;
        if (ret == 0 && name is "execve" or "execveat") CaptureScope?.OnExec(task.Tgid, task.Comm);
        _decoder.DecodeExit(name, ret, mem, task.Task, record.AdditionalInfo, arg0);
        return true;
    }

    private bool InCompatCall(in VcpuState cpu, IVirtualMemory mem)
    {
        var current = _tasks.CurrentTask(mem, cpu.GsBase);
        return current != 0 && mem.TryReadU32(current + (ulong)_threadStatus, out var status) && (status & TsCompat) != 0;
    }

    private static AdditionalInfo CopyOf(AdditionalInfo info)
    {
        var copy = new AdditionalInfo();
        copy.CopyFrom(info);
        return copy;
    }

    private static bool HasUnreadable(AdditionalInfo info)
    {
        foreach (var kv in info) if (kv.Value.IsUnreadable) return true;
        return false;
    }

    private static void Fill(SyscallRecord r, in VcpuState cpu, in LinuxTaskInfo task, LogType type, ulong nr, string name)
    {
        r.CpuId = cpu.CpuIndex;
        r.LogType = type;
        r.Pid = task.Tgid;
        r.Tid = task.Pid;
        r.ProcName = task.Comm ?? "";
        r.ParentPid = task.ParentTgid;
        if (task.ProcSeq != 0) r.ProcSeq = task.ProcSeq;
        r.Name = name;
        r.SysNo = nr;
        if ((cpu.Known & KnownRegisters.Control) != 0) r.Cr3 = cpu.Cr3;
    }

    /// <summary>The calling task, cached in its slot (see the class remarks).</summary>
    private LinuxTaskInfo TaskOf(LinuxTaskSlot slot, in VcpuState cpu, IVirtualMemory mem, bool refresh, bool newProcess = false)
    {
        if (!refresh && slot.Identity is { } cached) return cached.Info;
        var info = _tasks.Read(mem, _tasks.CurrentTask(mem, cpu.GsBase));
        // proc_seq: a process lifetime gets its id when first seen; a fork child leading a new thread group
        // (pid == tgid) starts a new lifetime even if its pid was used before in this run.
        if (newProcess && info.Pid == info.Tgid && info.Tgid != 0)
            _procSeqByTgid[info.Tgid] = info.ProcSeq = Interlocked.Increment(ref _lastProcSeq);
        else
            info.ProcSeq = _procSeqByTgid.GetOrAdd(info.Tgid, _ => Interlocked.Increment(ref _lastProcSeq));
        slot.Identity = info.Task != 0 ? new LinuxTaskIdentity(info.Task, info.Pid, info.Tgid, info.ParentTgid, info.Comm, info.ProcSeq) : null;
        return info;
    }

    private ulong[] ArgsFor(int cpu)
    {
        if (cpu >= _cpuArgs.Length) Grow(cpu);
        return _cpuArgs[cpu];
    }

    private void Grow(int cpu)
    {
        lock (_cache)
        {
            if (cpu < _cpuArgs.Length) return;
            var n = Math.Max(cpu + 1, _cpuArgs.Length * 2);
            var args = new ulong[n][];
            _cpuArgs.CopyTo(args, 0);
            for (var j = _cpuArgs.Length; j < n; j++) args[j] = new ulong[6];
            _cpuArgs = args;
        }
    }

    private static ulong U64(ReadOnlySpan<byte> b, int offset) =>
        offset >= 0 && offset + 8 <= b.Length ? BinaryPrimitives.ReadUInt64LittleEndian(b[offset..]) : 0;
}
