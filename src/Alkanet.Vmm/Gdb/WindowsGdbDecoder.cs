using Alkanet.Core.Records;
using Alkanet.Introspection.Cpu;
using Alkanet.Introspection.Memory;
using Alkanet.Introspection.Symbols;
using Alkanet.Introspection.Windows;

namespace Alkanet.Vmm.Gdb;

/// <summary>
/// The Windows x64 profile of the gdbstub hook. On attach it finds ntoskrnl from a stopped vCPU: the gdbstub shows no
/// MSR LSTAR, so it starts from the IDT base the monitor's <c>info registers</c> prints (vector 0 points into the
/// kernel image), reads the image's PDB identity, picks the symbol table from the profile store and the system-call
/// table by the build; then it decodes every hit at the two sites discovery names (KiSystemCall64, or
/// KiSystemServiceUser under KVA shadow; the return from the service call).
/// </summary>
public sealed class WindowsGdbDecoder : IDescribedHookDecoder
{
    /// <summary>More vCPUs than this share the last decoder (the gdbstub numbers threads from 1; QEMU allows 4096 vCPUs
    /// but a decoder's caches are not free).</summary>
    private const int MaxDecoders = 1024;

    private readonly Dictionary<int, WindowsSyscallDecoder> _decoders = [];
    private readonly SyscallPairing _pairing = new();
    private readonly WindowsDecoderOptions _options;

    private WindowsGdbDecoder(WindowsKernelInfo kernel, WindowsDecoderOptions options, IReadOnlyList<string> notes)
    {
        Kernel = kernel;
        _options = options;
        var hs = kernel.HookSites!;
        Sites =
        [
            new HookSite(hs.Enter, HookKind.Enter, hs.Enter == hs.KiSystemServiceUser ? "KiSystemServiceUser" : hs.Enter == hs.KiSystemCall64Shadow ? "KiSystemCall64Shadow" : "KiSystemCall64"),
            new HookSite(hs.Exit, HookKind.Exit, ExitName(kernel)),
        ];
        Notes = notes;
        Warnings = kernel.Warnings;
    }

    public WindowsKernelInfo Kernel { get; }

    /// <summary>The EXIT site as symbol+offset: the return from the service call after KiSystemServiceCopyEnd.</summary>
    private static string ExitName(WindowsKernelInfo kernel)
    {
        var hs = kernel.HookSites!;
        if (!hs.ExitIsReturnSite) return "KiSystemServiceExit";
        return kernel.Profile!.Isf.TryGetSymbol("KiSystemServiceCopyEnd", out var rva) && hs.Exit > kernel.KernelBase + rva
            ? $"KiSystemServiceCopyEnd+0x{hs.Exit - (kernel.KernelBase + rva):x}"
            : "KiSystemServiceCopyEnd+?";
    }

    public IReadOnlyList<HookSite> Sites { get; }

    public IReadOnlyList<string> Notes { get; }

    public IReadOnlyList<string> Warnings { get; }

    /// <summary>How many per-vCPU decoders exist so far (one per vCPU that hit).</summary>
    public int DecoderCount => _decoders.Count;

    /// <summary>
    /// Finds the kernel through the attached, stopped VM. vCPUs in kernel mode are tried first (under KVA shadow a
    /// user CR3 does not map the kernel image). When every vCPU failed and one was running user code, the VM is let
    /// run for a moment and stopped again (<see cref="WindowsGdbAttachOptions"/>), so a one-vCPU guest busy in user mode
    /// is caught in the kernel. Throws <see cref="InvalidOperationException"/> with the reason when no vCPU leads to a
    /// kernel with a known symbol table: an unknown kernel is named by its PDB GUID/age, with the
    /// <c>alkanet profile import</c> to run.
    /// </summary>
    public static WindowsGdbDecoder Discover(GdbClient client, ProfileStore profiles, WindowsDecoderOptions? options = null,
        WindowsGdbAttachOptions? attach = null)
    {
        attach ??= new WindowsGdbAttachOptions();
        var threads = client.ListThreads();
        if (threads.Count == 0) throw new InvalidOperationException("the gdbstub lists no vCPUs");
        ulong idt;
        try
        {
            idt = client.ReadIdtBase()
                ?? throw new InvalidOperationException("Windows kernel discovery needs the IDT base (the gdbstub shows no MSR LSTAR), " +
                    "and the monitor's 'info registers' printed no IDT= line");
        }
        catch (GdbProtocolException ex) when (ex is not GdbConnectionException)
        {
            throw new InvalidOperationException($"Windows kernel discovery needs the IDT base from the monitor's 'info registers': {ex.Message}", ex);
        }
        WindowsKernelInfo? failed = null;
        var failedCpu = 0;
        for (var attempt = 1; ; attempt++)
        {
            var states = threads.Select(t => (Thread: t, State: client.ReadRegisters(t))).OrderBy(c => c.State.CpuIndex).ToList();
            var inKernel = states.Where(c => c.State.Cpl == 0).ToList();
            // A vCPU in the kernel has a CR3 that maps the kernel; user-mode vCPUs are worth a scan only at the
            // attach stop (without KVA shadow their CR3 maps it too), not at every retry (the scan is up to 8192 'm').
            var candidates = inKernel.Count > 0 ? inKernel : attempt == 1 ? states : [];
            foreach (var (thread, registers) in candidates)
            {
                var state = registers;
                state.IdtBase = idt;
                state.Known |= KnownRegisters.IdtBase;
                var info = WindowsKernel.Discover(state, client.MemoryOf(thread), profiles);
                if (info.Ok) return Found(info, idt, state.CpuIndex, attempt, options);
                if (failed is null || inKernel.Count > 0) { failed = info; failedCpu = state.CpuIndex; }
                if (info.CodeView is not null) break; // the kernel was found: what is missing does not depend on the vCPU
            }
            if (failed!.CodeView is not null || inKernel.Count > 0 || attempt >= attach.Attempts)
            {
                var where = inKernel.Count > 0 || attempt == 1 ? "" : $"; every vCPU ran user code at each of {attempt} stops";
                throw new InvalidOperationException($"Windows kernel discovery failed (IDT at 0x{idt:x}, vCPU {failedCpu}" +
                    $"{(states.Count > 1 ? $" of {states.Count}" : "")}{where}): {failed.Error}");
            }
            // Let the guest run a moment: its vCPUs soon enter the kernel (interrupts, system calls).
            client.Continue();
            var stop = client.WaitForStop(attach.RunBetweenAttempts) ?? client.Interrupt();
            if (stop.Kind != GdbStopKind.Signal)
                throw new InvalidOperationException($"the VM ended while Windows kernel discovery waited for a vCPU in the kernel ('{stop.Raw}')");
        }
    }

    private static WindowsGdbDecoder Found(WindowsKernelInfo info, ulong idt, int cpu, int attempt, WindowsDecoderOptions? options)
    {
        var hs = info.HookSites!;
        var cv = info.CodeView!;
        if (hs.Enter == 0 || hs.Exit == 0)
            throw new InvalidOperationException($"the symbol table of {cv.PdbName} {cv.Guid}-{cv.Age} lacks the system-call entry or exit " +
                "(KiSystemCall64, KiSystemServiceUser, KiSystemServiceCopyEnd, KiSystemServiceExit): no site to hook");
        var table = info.Syscalls is { } t ? $"{t.Table.Release}{(t.Exact ? "" : " (guessed)")}" : "none";
        string[] notes =
        [
            $"ntoskrnl at 0x{info.KernelBase:x} (found from the IDT at 0x{idt:x} through vCPU {cpu}" +
                $"{(attempt > 1 ? $", at stop {attempt}" : "")}), {cv.PdbName} {cv.Guid}-{cv.Age}",
            $"build {info.Build} ({info.BuildSource}), system-call table {table}, KVA shadow {(hs.KvaShadow ? "on" : "off")}",
        ];
        return new WindowsGdbDecoder(info, options ?? new WindowsDecoderOptions(), notes);
    }

    public bool Decode(HookSite site, in VcpuState state, IVirtualMemory memory, SyscallRecord record)
    {
        DecoderFor(state.CpuIndex).Decode(state, memory, site.Kind == HookKind.Enter ? HookSiteKind.Enter : HookSiteKind.Exit, record);
        return true; // a hit whose caller was unreadable still names its call: keep it (the record says what is known)
    }

    /// <summary>One decoder per vCPU (separate object and process-name caches), all sharing one pairing state: a thread
    /// that blocks in a call often returns on another vCPU.</summary>
    private WindowsSyscallDecoder DecoderFor(int cpu)
    {
        var key = Math.Clamp(cpu, 0, MaxDecoders - 1);
        if (!_decoders.TryGetValue(key, out var d))
        {
            d = new WindowsSyscallDecoder(Kernel, _options) { Pairing = _pairing };
            _decoders[key] = d;
        }
        return d;
    }
}

/// <summary>How hard <see cref="WindowsGdbDecoder.Discover"/> tries to catch a vCPU in the kernel.</summary>
public sealed class WindowsGdbAttachOptions
{
    /// <summary>Stops to try (the attach stop included) while every vCPU runs user code whose CR3 lacks the kernel.</summary>
    public int Attempts { get; init; } = 20;

    /// <summary>How long the VM runs between two attempts.</summary>
    public TimeSpan RunBetweenAttempts { get; init; } = TimeSpan.FromMilliseconds(20);
}
