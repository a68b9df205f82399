namespace Alkanet.Introspection.Hooks;

/// <summary>The registers an OS needs from a hook (see <see cref="IGuestOs.RegistersAt"/>): the TCG plugin reads only
/// these at a hit (every register read is a call into QEMU); the gdbstub reads all of them in one packet anyway.</summary>
[Flags]
public enum RegisterSet : uint
{
    None = 0,
    Rax = 1 << 0,
    Rdx = 1 << 1,
    Rsi = 1 << 2,
    Rdi = 1 << 3,
    Rsp = 1 << 4,
    R8 = 1 << 5,
    R9 = 1 << 6,
    R10 = 1 << 7,
    Cr3 = 1 << 8,

    /// <summary>GS_BASE. In kernel mode it is fixed per processor (the per-cpu area, the KPCR): a hook may read it once
    /// per vCPU, until it holds a kernel address (see <see cref="PerVcpu"/>).</summary>
    GsBase = 1 << 9,

    /// <summary>KERNEL_GS_BASE (MSR 0xC0000102): the kernel's GS base while user code runs; per vCPU as GS_BASE.</summary>
    KernelGsBase = 1 << 10,

    /// <summary>IDTR base. QEMU's plugin register list lacks it; the gdbstub hook reads it from the monitor.</summary>
    IdtBase = 1 << 11,

    /// <summary>CR4: the paging mode (LA57), for a hook that walks the page tables itself.</summary>
    Cr4 = 1 << 12,

    /// <summary>The registers fixed per vCPU once the kernel runs: read until one holds a kernel address, then kept.</summary>
    PerVcpu = GsBase | KernelGsBase,
}
