using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Alkanet.Core.Records;
using Alkanet.Introspection.Cpu;
using Alkanet.Introspection.Hooks;
using Alkanet.Introspection.Memory;
using Alkanet.Introspection.Syscalls;

namespace Alkanet.Introspection.Windows;

/// <summary>Turns a hook hit (vCPU state + guest memory) into an Alkanet record: who called (KPCR), which call
/// (RAX and the build's table), its arguments at ENTER (R10, RDX, R8, R9, then the user stack from RSP+0x28) and
/// its status and OUT parameters at EXIT (paired with the ENTER per thread and user stack pointer).
/// One instance per vCPU thread (not thread-safe); it reuses its buffers, so calls without strings allocate nothing
/// once the caches are warm.</summary>
public sealed class WindowsSyscallDecoder
{
    private const ulong UserStackArgs = 0x28; // return address + 4 home slots
    private readonly SyscallTable? _nt, _win32k;
    private readonly CallSpec?[] _byNumber;
    private readonly DecodeContext _ctx;
    private readonly Dictionary<ulong, string> _unknownNames = [];
    private readonly ulong[][] _argsArrays = new ulong[SyscallPairing.MaxArgs + 1][];
    private readonly uint _systemCallNumberOffset;
    private readonly bool _hasSystemCallNumber;

    public WindowsSyscallDecoder(WindowsKernelInfo kernel, WindowsDecoderOptions? options = null)
        : this(kernel.Profile ?? throw new ArgumentException($"kernel discovery failed: {kernel.Error}", nameof(kernel)),
               kernel.KernelBase, kernel.Syscalls?.Table, kernel.Win32kSyscalls?.Table, options)
    {
        Kernel = kernel;
    }

    public WindowsSyscallDecoder(WindowsProfile profile, ulong kernelBase, SyscallTable? nt, SyscallTable? win32k = null,
        WindowsDecoderOptions? options = null)
    {
        Profile = profile;
        _nt = nt;
        _win32k = win32k;
        Options = options ?? new WindowsDecoderOptions();
        Callers = new WindowsCaller(profile);
        Objects = new WindowsObjects(profile, kernelBase);
        _ctx = new DecodeContext(profile, Objects, Callers, Options);
        _byNumber = new CallSpec?[nt is null ? 0 : nt.Calls().Select(c => (int)c.Number + 1).DefaultIfEmpty(0).Max()];
        if (nt is not null)
            foreach (var (number, name) in nt.Calls())
                if (WindowsCallDecoders.All.TryGetValue(name, out var spec)) _byNumber[number] = spec;
        _hasSystemCallNumber = profile.Isf.TryGetField("_KTHREAD", "SystemCallNumber", out var scn);
        _systemCallNumberOffset = scn.Offset;
        for (var i = 0; i < _argsArrays.Length; i++) _argsArrays[i] = new ulong[i];
    }

    public WindowsKernelInfo? Kernel { get; }
    public WindowsProfile Profile { get; }
    public WindowsDecoderOptions Options { get; }
    public WindowsCaller Callers { get; }
    public WindowsObjects Objects { get; }
    /// <summary>Strings built from guest text, kept by content (<see cref="DecodeContext.Texts"/>).</summary>
    public GuestTextPool Texts => _ctx.Texts;
    /// <summary>ENTER/EXIT pairing state. Decoders of one guest's vCPUs may share one (init) when they run on one
    /// thread, so a call entered on one vCPU pairs with its exit on another (a thread that blocked and migrated).</summary>
    public SyscallPairing Pairing { get; init; } = new();

    /// <summary>The table's name of a call number (win32k numbers start at 0x1000), or null.</summary>
    public string? NameOf(ulong number) => number >= 0x1000 ? _win32k?.NameOf(number) : _nt?.NameOf(number);

    /// <summary>For live hooks: decodes a hit at one of <see cref="WindowsKernelInfo.HookSites"/>, taking ENTER or EXIT
    /// from RIP. Returns false (record untouched) when RIP is neither site or discovery found no hook sites.</summary>
    public bool DecodeHit(in VcpuState state, IVirtualMemory memory, SyscallRecord into)
    {
        if (Kernel?.HookSites?.KindOf(state.Rip) is not { } kind) return false;
        Decode(state, memory, kind, into);
        return true;
    }

    /// <summary>Decodes one hit into <paramref name="into"/> (reset first; <c>no</c> and <c>timestamp_ns</c> are the
    /// caller's to set). Returns false when the caller (KPCR → thread) could not be read; the record then holds what
    /// was known. Never throws for guest data.</summary>
    public bool Decode(in VcpuState state, IVirtualMemory memory, SiteKind kind, SyscallRecord into)
    {
        into.Reset();
        var c = _ctx;
        c.Memory = memory;
        c.Views = Pairing.Views;
        c.Record = into;
        c.State = state;
        c.IsExit = kind == SiteKind.Exit;
        c.ArgCount = 0;
        into.CpuId = state.CpuIndex;
        into.LogType = c.IsExit ? LogType.Exit : LogType.Enter;
        into.Cr3 = state.Cr3 & PageWalker.AddressMask;
        var known = Callers.TryRead(state, memory, out c.Caller);
        if (known)
        {
            into.Pid = c.Caller.Pid;
            into.Tid = c.Caller.Tid;
            into.ProcName = c.Caller.ProcName ?? Callers.ProcessName(memory, c.Caller.Process, c.Caller.Pid);
            if (c.Caller.HasParent) into.ParentPid = c.Caller.ParentPid;
        }
        if (c.IsExit) DecodeExit(state, memory, c, into, known);
        else DecodeEnter(state, memory, c, into, known);
        return known;
    }

    private void DecodeEnter(in VcpuState state, IVirtualMemory memory, DecodeContext c, SyscallRecord into, bool known)
    {
        var number = state.Rax & 0xFFFF_FFFF;
        into.SysNo = number;
        into.Name = CallName(number);
        var spec = number < (ulong)_byNumber.Length ? _byNumber[number] : null;
        var argc = spec?.ArgCount ?? 4;
        var userRsp = UserRspAtEnter(state, memory, c.Caller);
        var args = c.ArgBuffer;
        args[0] = state.R10;
        args[1] = state.Rdx;
        args[2] = state.R8;
        args[3] = state.R9;
        if (argc > 4) ReadStackArgs(memory, userRsp, args.AsSpan(4, argc - 4));
        c.ArgCount = argc;
        if (Options.CaptureArgs)
        {
            var a = _argsArrays[argc];
            Array.Copy(args, a, argc);
            into.Args = a;
        }
        spec?.Enter?.Invoke(c);
        if (!known) return;
        if (spec is { NoReturn: true }) return;
        if (spec?.Name == "NtTerminateThread" && (state.R10 == 0 || WindowsObjects.IsCurrentThread(state.R10)))
        {
            // The thread ends itself (a null handle also means the current thread): its calls never return.
            Pairing.ForgetThread(c.Caller.Thread);
            return;
        }
        Pairing.Push(c.Caller.Thread, userRsp, number, args.AsSpan(0, argc));
    }

    private void DecodeExit(in VcpuState state, IVirtualMemory memory, DecodeContext c, SyscallRecord into, bool known)
    {
        c.Status = (uint)state.Rax;
        into.RetVal = c.Status;
        var userRsp = UserRspAtExit(memory, c.Caller);
        if (known && Pairing.TryPop(c.Caller.Thread, userRsp, out var number, c.ArgBuffer, out var argc))
        {
            c.ArgCount = argc;
            into.SysNo = number;
            into.Name = CallName(number);
            var spec = number < (ulong)_byNumber.Length ? _byNumber[number] : null;
            spec?.Exit?.Invoke(c);
            return;
        }
        // No ENTER seen (tracing started inside the call): the thread still records which call it is in.
        if (known && _hasSystemCallNumber && memory.TryReadU32(c.Caller.Thread + _systemCallNumberOffset, out var n))
        {
            into.SysNo = n;
            into.Name = CallName(n);
        }
        else into.Name = "unknown";
        into.AdditionalInfo.Set("unpaired", "trace_started");
    }

    /// <summary>Arguments 5.. from the user stack in one read; a stack slot that cannot be read is 0 (slot by slot past a
    /// short read, so what is readable is still read).</summary>
    private static void ReadStackArgs(IVirtualMemory memory, ulong userRsp, Span<ulong> args)
    {
        if (userRsp == 0)
        {
            args.Clear();
            return;
        }
        var at = userRsp + UserStackArgs;
        var got = memory.Read(at, MemoryMarshal.AsBytes(args)) / 8;
        if (!BitConverter.IsLittleEndian)
            for (var i = 0; i < got; i++) args[i] = BinaryPrimitives.ReverseEndianness(args[i]);
        for (var i = got; i < args.Length; i++)
            if (!memory.TryReadU64(at + ((ulong)i * 8), out args[i])) args[i] = 0;
    }

    /// <summary>At the entry instruction RSP is still the user's; after the entry code switched stacks (the
    /// KVA-shadow ENTER site) the user's RSP is saved in KPCR.UserRsp.</summary>
    private ulong UserRspAtEnter(in VcpuState state, IVirtualMemory memory, in CallerInfo caller)
    {
        if (GuestReader.IsUserAddress(state.Rsp)) return state.Rsp;
        var kpcr = caller.Kpcr != 0 ? caller.Kpcr : WindowsCaller.KpcrOf(state);
        return kpcr != 0 && memory.TryReadU64(kpcr + Profile.KpcrUserRsp, out var rsp) && GuestReader.IsUserAddress(rsp) ? rsp : 0;
    }

    /// <summary>At EXIT the user's RSP is in the thread's trap frame (KTHREAD.TrapFrame → KTRAP_FRAME.Rsp).</summary>
    private ulong UserRspAtExit(IVirtualMemory memory, in CallerInfo caller)
    {
        if (caller.Thread == 0 || !memory.TryReadU64(caller.Thread + Profile.KthreadTrapFrame, out var frame)
            || !GuestReader.IsKernelAddress(frame)) return 0;
        return memory.TryReadU64(frame + Profile.TrapFrameRsp, out var rsp) ? rsp : 0;
    }

    private string CallName(ulong number)
    {
        var name = NameOf(number);
        if (name is not null) return name;
        if (!_unknownNames.TryGetValue(number, out name))
        {
            name = "unknown_" + number.ToString("x", System.Globalization.CultureInfo.InvariantCulture);
            if (_unknownNames.Count < 4096) _unknownNames[number] = name;
        }
        return name;
    }
}
