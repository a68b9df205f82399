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
    /// user CR3 does not map the kernel image). Throws <see cref="InvalidOperationException"/> with the reason when no
    /// vCPU leads to a kernel with a known symbol table: an unknown kernel is named by its PDB GUID/age, with the
    /// <c>alkanet profile import</c> to run.
    /// </summary>
    public static WindowsGdbDecoder Discover(GdbClient client, ProfileStore profiles, WindowsDecoderOptions? options = null)
    {
        var threads = client.ListThreads();
        if (threads.Count == 0) throw new InvalidOperationException("the gdbstub lists no vCPUs");
        var idt = client.ReadIdtBase()
            ?? throw new InvalidOperationException("Windows kernel discovery needs the IDT base (the gdbstub shows no MSR LSTAR), " +
                "and the monitor's 'info registers' printed no IDT= line");
        var candidates = threads.Select(t => (Thread: t, State: client.ReadRegisters(t)))
            .OrderBy(c => c.State.Cpl == 0 ? 0 : 1).ThenBy(c => c.State.CpuIndex).ToList();
        WindowsKernelInfo? failed = null;
        var failedCpu = 0;
        foreach (var (thread, registers) in candidates)
        {
            var state = registers;
            state.IdtBase = idt;
            state.Known |= KnownRegisters.IdtBase;
            var info = WindowsKernel.Discover(state, client.MemoryOf(thread), profiles);
            if (info.Ok)
            {
                var hs = info.HookSites!;
                var cv = info.CodeView!;
                var table = info.Syscalls is { } t ? $"{t.Table.Release}{(t.Exact ? "" : " (guessed)")}" : "none";
                string[] notes =
                [
                    $"ntoskrnl at 0x{info.KernelBase:x} (found from the IDT at 0x{idt:x} through vCPU {state.CpuIndex}), {cv.PdbName} {cv.Guid}-{cv.Age}",
                    $"build {info.Build} ({info.BuildSource}), system-call table {table}, KVA shadow {(hs.KvaShadow ? "on" : "off")}",
                ];
                return new WindowsGdbDecoder(info, options ?? new WindowsDecoderOptions(), notes);
            }
            if (failed is null) { failed = info; failedCpu = state.CpuIndex; }
            if (info.CodeView is not null) break; // the kernel was found: what is missing does not depend on the vCPU
        }
        throw new InvalidOperationException($"Windows kernel discovery failed (IDT at 0x{idt:x}, vCPU {failedCpu}" +
            $"{(candidates.Count > 1 ? $" of {candidates.Count}" : "")}): {failed!.Error}");
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
