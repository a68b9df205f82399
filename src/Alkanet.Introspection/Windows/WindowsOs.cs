using Alkanet.Core.Records;
using Alkanet.Introspection.Cpu;
using Alkanet.Introspection.Hooks;
using Alkanet.Introspection.Memory;
using Alkanet.Introspection.Symbols;

namespace Alkanet.Introspection.Windows;

/// <summary>
/// Windows x64 as a hook sees it. Discovery from a vCPU (<see cref="Find"/>): the IDT base (the gdbstub reads it from
/// the monitor; the TCG plugin, whose register list has no IDTR, finds it through the KPCR from GS_BASE or
/// KERNEL_GS_BASE, see <see cref="KpcrLocator"/>) → IDT vector 0 → ntoskrnl's header → its PDB → the symbol table from
/// the profile store → the system-call table by build (<see cref="WindowsKernel.Discover(in VcpuState, IVirtualMemory, ProfileStore)"/>).
/// The two sites are KiSystemCall64 (KiSystemServiceUser under KVA shadow) and the return from the service routine.
/// Hits: one <see cref="WindowsSyscallDecoder"/> per vCPU (its caches need no lock), all sharing one ENTER/EXIT
/// pairing (a thread that blocks in a call may return on another vCPU) under one lock, uncontended on one vCPU.
/// Settings: <c>profiles=DIR</c> (user symbol tables), <c>args=all</c> (raw arguments on every ENTER), <c>cr3=on</c>,
/// <c>capture=on|all|sample</c> (written bytes, <see cref="WindowsWriteCapture"/>; an image's sample is scoped on the host),
/// <c>capture_call=BYTES</c> (the per-call cap).
/// </summary>
public sealed class WindowsOs : IGuestOs
{
    private const int MaxVcpus = 1024;
    private readonly ProfileStore _profiles;
    private readonly WindowsDecoderOptions _options;
    private readonly bool _readCr3;
    private readonly Lazy<KpcrLocator> _kpcr;
    private readonly SyscallPairing _pairing = new();
    private readonly Lock _pairingLock = new();
    private readonly WindowsSyscallDecoder?[] _decoders = new WindowsSyscallDecoder?[MaxVcpus];
    private volatile WindowsKernelInfo? _kernel;
    private volatile KernelDiscovery? _found;

    public WindowsOs(ProfileStore profiles, WindowsDecoderOptions? options = null, bool readCr3 = false)
    {
        _profiles = profiles;
        _options = options ?? new WindowsDecoderOptions();
        _readCr3 = readCr3;
        _kpcr = new Lazy<KpcrLocator>(() => KpcrLocator.FromStore(profiles));
    }

    // capture=sample|all: Windows has no in-hook scope yet, so both read every write; the report applies the scope.
    public static IGuestOs Create(GuestOsSettings settings) => new WindowsOs(new ProfileStore(settings.Get("profiles")),
        new WindowsDecoderOptions
        {
            CaptureArgs = settings.Get("args") == "all", CaptureWrites = CaptureSettings.IsOn(settings),
            CaptureCallBytes = CaptureSettings.CallBytes(settings),
        },
        settings.IsOn("cr3"));

    public string Name => "windows";

    /// <summary>The discovered kernel (null until found).</summary>
    public WindowsKernelInfo? Kernel => _kernel;

    public KernelDiscovery? Found => _found;

    public int SiteCodeLength => 0;

    public bool CouldBeSite(ulong address) => false;

    public KernelDiscovery FindInCode(ulong address, ReadOnlySpan<byte> code) =>
        KernelDiscovery.Failure("Windows sites are found from a vCPU's registers and memory, not from code alone");

    /// <summary>The IDT base when the hook has it; else GS_BASE and KERNEL_GS_BASE lead to it through the KPCR. CR3 is
    /// the address space discovery reads.</summary>
    public RegisterSet DiscoveryRegisters => RegisterSet.IdtBase | RegisterSet.PerVcpu | RegisterSet.Cr3;

    public KernelDiscovery Find(in VcpuState cpu, IVirtualMemory memory)
    {
        var state = cpu;
        var viaKpcr = (cpu.Known & KnownRegisters.IdtBase) == 0;
        if (viaKpcr)
        {
            if (!_kpcr.Value.TryFind(cpu, memory, out _, out var idt, out var why)) return KernelDiscovery.Failure(why!);
            // Only what the plugin reads: discovery must not lean on registers it cannot see (LSTAR, say).
            state = new VcpuState
            {
                CpuIndex = cpu.CpuIndex,
                Cr3 = cpu.Cr3,
                IdtBase = idt,
                Known = KnownRegisters.General | KnownRegisters.Control | KnownRegisters.IdtBase,
            };
        }
        var info = WindowsKernel.Discover(state, memory, _profiles);
        // Once the image is identified another vCPU or attempt finds the same kernel: what is missing stays missing.
        if (!info.Ok) return KernelDiscovery.Failure($"IDT at 0x{state.IdtBase:x}: {info.Error}", final: info.CodeView is not null);
        var hs = info.HookSites!;
        var cv = info.CodeView!;
        if (hs.Enter == 0 || hs.Exit == 0)
            return KernelDiscovery.Failure($"the symbol table of {cv.PdbName} {cv.Guid}-{cv.Age} lacks the system-call entry or exit " +
                "(KiSystemCall64, KiSystemServiceUser, KiSystemServiceCopyEnd, KiSystemServiceExit): no site to hook", final: true);
        var table = info.Syscalls is { } t ? $"{t.Table.Release}{(t.Exact ? "" : " (guessed)")}" : "none";
        string[] notes =
        [
            $"ntoskrnl at 0x{info.KernelBase:x} (found from the IDT at 0x{state.IdtBase:x}{(viaKpcr ? " through the KPCR" : "")} " +
                $"through vCPU {cpu.CpuIndex}), {cv.PdbName} {cv.Guid}-{cv.Age}",
            $"build {info.Build} ({info.BuildSource}), system-call table {table}, KVA shadow {(hs.KvaShadow ? "on" : "off")}",
            $"system-call names from {info.SyscallSource}",
            $"win32k names from {info.Win32kSyscallSource}",
        ];
        var enterName = hs.Enter == hs.KiSystemServiceUser ? "KiSystemServiceUser"
            : hs.Enter == hs.KiSystemCall64Shadow ? "KiSystemCall64Shadow" : "KiSystemCall64";
        var found = KernelDiscovery.Success([new HookSite(hs.Enter, SiteKind.Enter, enterName), new HookSite(hs.Exit, SiteKind.Exit, ExitName(info))])
            with { Notes = notes, Warnings = info.Warnings, KernelBase = info.KernelBase };
        _kernel = info;
        _found = found;
        return found;
    }

    /// <summary>The EXIT site as symbol+offset: the return from the service call after KiSystemServiceCopyEnd.</summary>
    private static string ExitName(WindowsKernelInfo kernel)
    {
        var hs = kernel.HookSites!;
        if (!hs.ExitIsReturnSite) return "KiSystemServiceExit";
        return kernel.Profile!.Isf.TryGetSymbol("KiSystemServiceCopyEnd", out var rva) && hs.Exit > kernel.KernelBase + rva
            ? $"KiSystemServiceCopyEnd+0x{hs.Exit - (kernel.KernelBase + rva):x}"
            : "KiSystemServiceCopyEnd+?";
    }

    /// <summary>ENTER: RAX (the number), R10, RDX, R8, R9 (arguments) and RSP (the rest, on the user stack); EXIT: RAX
    /// (the NTSTATUS). Both: GS_BASE/KERNEL_GS_BASE (the KPCR, fixed per processor), and CR3 with <c>cr3=on</c>.</summary>
    public RegisterSet RegistersAt(SiteKind kind)
    {
        var set = RegisterSet.Rax | RegisterSet.PerVcpu;
        if (kind != SiteKind.Exit) set |= RegisterSet.R10 | RegisterSet.Rdx | RegisterSet.R8 | RegisterSet.R9 | RegisterSet.Rsp;
        if (_readCr3) set |= RegisterSet.Cr3;
        return set;
    }

    /// <summary>Decodes a hit; a hit whose caller was unreadable still names its call, so it is kept (true) once found.</summary>
    public bool OnHit(in HookSite site, in VcpuState cpu, IVirtualMemory memory, SyscallRecord record)
    {
        var kernel = _kernel;
        if (kernel is null) return false;
        var slot = Math.Clamp(cpu.CpuIndex, 0, MaxVcpus - 1);
        var decoder = _decoders[slot] ??= new WindowsSyscallDecoder(kernel, _options) { Pairing = _pairing };
        lock (_pairingLock) decoder.Decode(cpu, memory, site.Kind == SiteKind.Exit ? SiteKind.Exit : SiteKind.Enter, record);
        return true;
    }

    /// <summary>How many per-vCPU decoders exist so far (one per vCPU that hit).</summary>
    public int DecoderCount => _decoders.Count(d => d is not null);

    public string Describe()
    {
        var k = _kernel;
        if (k is null) return "Windows kernel not found yet";
        var hs = k.HookSites!;
        var table = k.Syscalls is { } t ? $"{t.Table.Release}{(t.Exact ? "" : " (guessed)")}" : "none";
        return $"ntoskrnl at 0x{k.KernelBase:x}, {k.CodeView!.PdbName} {k.CodeView.Guid}-{k.CodeView.Age}, build {k.Build} ({k.BuildSource}), " +
            $"system-call table {table}, KVA shadow {(hs.KvaShadow ? "on" : "off")}, ENTER 0x{hs.Enter:x}, EXIT 0x{hs.Exit:x}; " +
            $"system-call names from {k.SyscallSource}; win32k names from {k.Win32kSyscallSource}";
    }
}
