namespace Alkanet.Introspection.Memory;

/// <summary>The x86-64 page walk (4- and 5-level; 1 GiB and 2 MiB pages), read from guest-physical memory.
/// Only the present, page-size and address bits are used: protection bits do not matter to an observer.</summary>
public static class PageWalker
{
    /// <summary>Physical address bits 12..51 of an entry (also of CR3: PCID in bits 0..11 is dropped).</summary>
    public const ulong AddressMask = 0x000F_FFFF_FFFF_F000UL;
    private const ulong Present = 1;
    private const ulong PageSizeBit = 1UL << 7;

    public static Translation Translate(IPhysicalMemory physical, ulong cr3, ulong virtualAddress, PagingMode mode = PagingMode.FourLevel) =>
        Translate(physical, cr3, virtualAddress, mode, out _);

    /// <summary>As <see cref="Translate(IPhysicalMemory, ulong, ulong, PagingMode)"/>, and the page table (level 1) the walk
    /// reached: its physical base, or 0 when the walk ended above it (a large page, a failure). Every 4 KiB page of the
    /// same 2 MiB region is translated from that table alone (<see cref="TranslateInTable"/>) while the tables stay.</summary>
    public static Translation Translate(IPhysicalMemory physical, ulong cr3, ulong virtualAddress, PagingMode mode, out ulong pageTable)
    {
        pageTable = 0;
        var levels = (int)mode;
        var topBit = levels == 5 ? 56 : 47;
        var high = (long)virtualAddress >> topBit;
        if (high != 0 && high != -1) return Translation.Fail(TranslationFailure.NonCanonical, levels + 1);

        var table = cr3 & AddressMask;
        for (var level = levels; level >= 1; level--)
        {
            var shift = 12 + (9 * (level - 1));
            var index = (virtualAddress >> shift) & 0x1FF;
            if (level == 1) pageTable = table;
            if (!physical.TryReadU64(table + (index * 8), out var entry)) return Translation.Fail(TranslationFailure.TableUnreadable, level, table);
            if ((entry & Present) == 0) return Translation.Fail(TranslationFailure.NotPresent, level, entry);
            if (level <= 3 && level >= 2 && (entry & PageSizeBit) != 0)
            {
                var pageSize = 1UL << shift;
                var frame = entry & AddressMask & ~(pageSize - 1);
                return new Translation(frame | (virtualAddress & (pageSize - 1)), pageSize, TranslationFailure.None, 0, entry);
            }
            if (level >= 4 && (entry & PageSizeBit) != 0) return Translation.Fail(TranslationFailure.ReservedBit, level, entry);
            table = entry & AddressMask;
        }
        return new Translation(table | (virtualAddress & 0xFFF), 4096, TranslationFailure.None, 0, 0);
    }

    /// <summary>The last step of a walk: the entry for <paramref name="virtualAddress"/> in the page table at
    /// <paramref name="pageTable"/> (a base <see cref="Translate(IPhysicalMemory, ulong, ulong, PagingMode, out ulong)"/> gave).</summary>
    public static Translation TranslateInTable(IPhysicalMemory physical, ulong pageTable, ulong virtualAddress)
    {
        if (!physical.TryReadU64(pageTable + (((virtualAddress >> 12) & 0x1FF) * 8), out var entry))
            return Translation.Fail(TranslationFailure.TableUnreadable, 1, pageTable);
        if ((entry & Present) == 0) return Translation.Fail(TranslationFailure.NotPresent, 1, entry);
        return new Translation((entry & AddressMask) | (virtualAddress & 0xFFF), 4096, TranslationFailure.None, 0, 0);
    }
}
