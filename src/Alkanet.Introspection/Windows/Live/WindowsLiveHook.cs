using Alkanet.Core.Records;
using Alkanet.Introspection.Cpu;
using Alkanet.Introspection.Memory;
using Alkanet.Introspection.Symbols;

namespace Alkanet.Introspection.Windows.Live;

/// <summary>
/// The Windows logic of the in-VMM (QEMU TCG plugin) hook, kept out of the plugin so it runs and is tested without
/// QEMU: kernel discovery from a vCPU's registers (GS_BASE/KERNEL_GS_BASE → KPCR.Self check → KPCR.IdtBase → IDT
/// vector 0 → <see cref="WindowsKernel.Discover(in VcpuState, IVirtualMemory, ProfileStore)"/>) and the per-hit
/// decode into a record with the shared <see cref="WindowsSyscallDecoder"/>.
/// Thread use: <see cref="OnHit"/> runs concurrently on every vCPU thread (multi-threaded TCG). Each vCPU has its
/// own decoder (its caches need no lock); the ENTER/EXIT pairing is shared (a thread that blocks in a call may
/// return on another vCPU), so a decode holds one lock — uncontended on one vCPU, short on a few.
/// A failed discovery is a value (<see cref="LastError"/>), never an exception, and is simply tried again later.
/// </summary>
public sealed class WindowsLiveHook
{
    private const int MaxVcpus = 1024;
    private readonly ProfileStore _profiles;
    private readonly WindowsDecoderOptions _options;
    private readonly KpcrLocator _kpcr;
    private readonly SyscallPairing _pairing = new();
    private readonly Lock _pairingLock = new();
    private readonly WindowsSyscallDecoder?[] _decoders = new WindowsSyscallDecoder?[MaxVcpus];
    private readonly ulong[] _kpcrOf = new ulong[MaxVcpus];
    private int _discovering;
    private long _attempts, _failures;
    private volatile WindowsKernelInfo? _kernel;
    private volatile string? _lastError = "no discovery attempt yet (no kernel-mode code at a kernel address has run)";

    public WindowsLiveHook(ProfileStore profiles, WindowsDecoderOptions? options = null, bool readCr3 = false)
    {
        _profiles = profiles;
        _options = options ?? new WindowsDecoderOptions();
        _kpcr = KpcrLocator.FromStore(profiles);
        ReadCr3 = readCr3;
    }

    /// <summary>Read CR3 at every hit for the record's <c>cr3</c> (one more register read per hit).</summary>
    public bool ReadCr3 { get; }

    /// <summary>The discovered kernel (null until discovery succeeded).</summary>
    public WindowsKernelInfo? Kernel => _kernel;

    public bool Found => _kernel is not null;

    /// <summary>Why discovery has not succeeded yet (the last attempt's reason); null once found.</summary>
    public string? LastError => _lastError;

    public long Attempts => Interlocked.Read(ref _attempts);

    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>One discovery attempt from the hitting vCPU. Only one vCPU attempts at a time (others return false
    /// at once); returns true once the kernel is found (then <see cref="Kernel"/> holds it and its hook sites).
    /// Never throws for guest data: a KPCR not yet set up (early boot), an unreadable IDT, no PE header, a
    /// kernel without an ISF — each is recorded in <see cref="LastError"/> and the next attempt starts over.</summary>
    public bool TryDiscover(int cpu, IGuestRegisters registers, IVirtualMemory memory)
    {
        if (_kernel is not null) return true;
        if (Interlocked.CompareExchange(ref _discovering, 1, 0) != 0) return false;
        try
        {
            Interlocked.Increment(ref _attempts);
            var error = Attempt(cpu, registers, memory);
            if (error is null) return true;
            Interlocked.Increment(ref _failures);
            _lastError = error;
            return false;
        }
        catch (Exception e)
        {
            // Guest memory is hostile: whatever a read path throws, the attempt failed and the next one retries.
            Interlocked.Increment(ref _failures);
            _lastError = $"discovery failed: {e.GetType().Name}: {e.Message}";
            return false;
        }
        finally
        {
            Volatile.Write(ref _discovering, 0);
        }
    }

    private string? Attempt(int cpu, IGuestRegisters registers, IVirtualMemory memory)
    {
        if (!_kpcr.TryFind(registers, memory, out _, out var idt, out var why)) return why;
        var state = new VcpuState
        {
            CpuIndex = cpu,
            Cr3 = registers.Read(GuestRegister.Cr3),
            IdtBase = idt,
            Known = KnownRegisters.General | KnownRegisters.Control | KnownRegisters.IdtBase,
        };
        var info = WindowsKernel.Discover(state, memory, _profiles);
        if (!info.Ok) return info.Error;
        if (info.HookSites is not { Enter: not 0, Exit: not 0 })
            return $"the symbol table of {info.CodeView?.PdbName} {info.CodeView?.Guid}-{info.CodeView?.Age} lacks the system-call entry or exit (KiSystemCall64, KiSystemServiceUser, KiSystemServiceCopyEnd, KiSystemServiceExit)";
        _kernel = info;
        _lastError = null;
        return null;
    }

    /// <summary>Which side a translated instruction at <paramref name="va"/> is, once the kernel is found.</summary>
    public HookSiteKind? SiteAt(ulong va) => _kernel?.HookSites?.KindOf(va);

    /// <summary>A hit at a hook site: reads the registers the decoder needs (ENTER: RAX, R10, RDX, R8, R9, RSP;
    /// EXIT: RAX; both: GS_BASE/KERNEL_GS_BASE once per vCPU, for the KPCR, which is fixed per processor), decodes
    /// into <paramref name="record"/> (<c>no</c> and <c>timestamp_ns</c> are the caller's). Returns false when the
    /// kernel is not found yet.</summary>
    public bool OnHit(int cpu, HookSiteKind kind, IGuestRegisters registers, IVirtualMemory memory, SyscallRecord record)
    {
        var kernel = _kernel;
        if (kernel is null) return false;
        var slot = Math.Clamp(cpu, 0, MaxVcpus - 1);
        var state = new VcpuState { CpuIndex = cpu, Known = KnownRegisters.General, Rax = registers.Read(GuestRegister.Rax) };
        var kpcr = _kpcrOf[slot];
        if (kpcr == 0)
        {
            var gs = registers.Read(GuestRegister.GsBase);
            var kgs = registers.Read(GuestRegister.KernelGsBase);
            kpcr = GuestReader.IsKernelAddress(gs) ? gs : GuestReader.IsKernelAddress(kgs) ? kgs : 0;
            _kpcrOf[slot] = kpcr;
        }
        state.GsBase = kpcr; // WindowsCaller takes a kernel GS_BASE as the KPCR
        if (kind == HookSiteKind.Enter)
        {
            state.R10 = registers.Read(GuestRegister.R10);
            state.Rdx = registers.Read(GuestRegister.Rdx);
            state.R8 = registers.Read(GuestRegister.R8);
            state.R9 = registers.Read(GuestRegister.R9);
            state.Rsp = registers.Read(GuestRegister.Rsp);
        }
        if (ReadCr3)
        {
            state.Cr3 = registers.Read(GuestRegister.Cr3);
            state.Known |= KnownRegisters.Control;
        }
        var decoder = _decoders[slot] ??= new WindowsSyscallDecoder(kernel, _options) { Pairing = _pairing };
        lock (_pairingLock) decoder.Decode(state, memory, kind, record);
        return true;
    }

    /// <summary>One line for the host: the kernel found (base, PDB, build, table, KVA shadow, sites) or why not yet.</summary>
    public string Describe()
    {
        var k = _kernel;
        if (k is null) return $"kernel not found yet after {Attempts} attempt(s): {LastError}";
        var hs = k.HookSites!;
        var table = k.Syscalls is { } t ? $"{t.Table.Release}{(t.Exact ? "" : " (guessed)")}" : "none";
        return $"ntoskrnl at 0x{k.KernelBase:x}, {k.CodeView!.PdbName} {k.CodeView.Guid}-{k.CodeView.Age}, build {k.Build} ({k.BuildSource}), " +
            $"system-call table {table}, KVA shadow {(hs.KvaShadow ? "on" : "off")}, ENTER 0x{hs.Enter:x}, EXIT 0x{hs.Exit:x}";
    }
}
