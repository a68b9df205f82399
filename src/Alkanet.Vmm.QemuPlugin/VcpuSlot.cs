using Alkanet.Core.Records;
using Alkanet.Introspection.Memory;
using Alkanet.Ring;

namespace Alkanet.Vmm.QemuPlugin;

/// <summary>What one vCPU thread reuses from hit to hit: its memory reader, its record, its register buffer, and its
/// per-vCPU registers (GS_BASE, KERNEL_GS_BASE) once known. With guest RAM mapped (<c>ram=FILE</c>) the reader walks
/// the vCPU's page tables itself (<see cref="RamFirstVirtualMemory"/>) and uses QEMU's read only for what that misses.</summary>
internal sealed unsafe class VcpuSlot
{
    public readonly IVirtualMemory Memory;
    /// <summary>QEMU's own read of this vCPU's memory (discovery uses it).</summary>
    public readonly QemuGuestMemory QemuMemory = new();
    public readonly SyscallRecord Record = new();
    public readonly RingStringCache Strings = new();
    public readonly GByteArray* RegBuffer = (GByteArray*)QemuApi.GByteArrayNew();
    public ulong GsBase, KernelGsBase;
    private readonly RamFirstVirtualMemory? _ramFirst;
    private bool _modeKnown;

    public VcpuSlot(IPhysicalMemory? ram = null)
    {
        if (ram is null)
        {
            Memory = QemuMemory;
            return;
        }
        _ramFirst = new RamFirstVirtualMemory(ram, QemuMemory, ReadRoot);
        Memory = _ramFirst;
    }

    /// <summary>A hit begins: translations of the last one are dropped; <paramref name="cr3"/> when already read, else 0.</summary>
    public void BeginHit(ulong cr3)
    {
        if (_ramFirst is null) return;
        if (!_modeKnown)
        {   // LA57 is set before the kernel's first system call and never changes: read once
            _ramFirst.Mode = PagingModes.FromCr4(QemuRegisters.ReadCr4(RegBuffer));
            _modeKnown = true;
        }
        _ramFirst.BeginHit(cr3);
    }

    private ulong ReadRoot() => QemuRegisters.ReadCr3(RegBuffer);
}
