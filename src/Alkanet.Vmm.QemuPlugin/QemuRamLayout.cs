using Alkanet.Introspection.Memory;

namespace Alkanet.Vmm.QemuPlugin;

/// <summary>Where QEMU's q35 machine (every launch of this project) puts a RAM file's bytes in guest-physical memory:
/// below 4 GiB up to the PCI hole, the rest from 4 GiB on (QEMU hw/i386/pc_q35.c, pc_q35_init: low memory ends at
/// 0xB0000000, or at 0x80000000 when the RAM is 0xB0000000 bytes or more).</summary>
internal static class QemuRamLayout
{
    private const ulong FourGiB = 1UL << 32;

    public static PhysicalRange[] Q35(ulong ramBytes)
    {
        var lowLimit = ramBytes >= 0xB000_0000UL ? 0x8000_0000UL : 0xB000_0000UL;
        var below = Math.Min(ramBytes, lowLimit);
        return below == ramBytes
            ? [new PhysicalRange(0, 0, below)]
            : [new PhysicalRange(0, 0, below), new PhysicalRange(FourGiB, below, ramBytes - below)];
    }
}
