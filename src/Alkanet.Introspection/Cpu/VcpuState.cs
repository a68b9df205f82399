namespace Alkanet.Introspection.Cpu;

/// <summary>
/// The registers of one vCPU at a hook hit, as every hook (TCG plugin, gdbstub, synthetic test guest)
/// delivers them and every OS profile consumes them. A plain struct of fields so the hot path copies
/// it without allocating; registers a hook cannot see are left 0 and flagged absent in <see cref="Known"/>.
/// </summary>
public struct VcpuState
{
    public int CpuIndex;

    public ulong Rax, Rbx, Rcx, Rdx, Rsi, Rdi, Rbp, Rsp;
    public ulong R8, R9, R10, R11, R12, R13, R14, R15;
    public ulong Rip, Rflags;

    /// <summary>Code segment selector: its low two bits are the privilege level at the hit.</summary>
    public ulong Cs;

    public ulong Cr0, Cr2, Cr3, Cr4, Efer;
    public ulong FsBase, GsBase, KernelGsBase;

    /// <summary>MSR LSTAR (the syscall entry point), when the hook can read it.</summary>
    public ulong Lstar;

    /// <summary>IDTR base, when the hook can read it (gdbstub: from the monitor's `info registers`).</summary>
    public ulong IdtBase;

    public KnownRegisters Known;

    /// <summary>Current privilege level (0 = kernel, 3 = user).</summary>
    public readonly int Cpl => (int)(Cs & 3);
}

/// <summary>Which of the optional registers the hook filled in.</summary>
[Flags]
public enum KnownRegisters : uint
{
    None = 0,
    General = 1,
    Control = 2,
    Segments = 4,
    Lstar = 8,
    IdtBase = 16,
}
