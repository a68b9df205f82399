using Alkanet.Core.Records;

namespace Alkanet.Vmm.QemuPlugin;

/// <summary>What one vCPU thread reuses from hit to hit: its memory reader, its record, its register buffer, and its
/// per-vCPU registers (GS_BASE, KERNEL_GS_BASE) once known.</summary>
internal sealed unsafe class VcpuSlot
{
    public readonly QemuGuestMemory Memory = new();
    public readonly SyscallRecord Record = new();
    public readonly GByteArray* RegBuffer = (GByteArray*)QemuApi.GByteArrayNew();
    public ulong GsBase, KernelGsBase;
}
