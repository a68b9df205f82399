namespace Alkanet.Introspection.Memory;

/// <summary>The x86-64 page walk (4- and 5-level; 1 GiB and 2 MiB pages), read from guest-physical memory.
/// Only the present, page-size and address bits are used: protection bits do not matter to an observer.</summary>
public static class PageWalker
{
    /// <summary>Physical address bits 12..51 of an entry (also of CR3: PCID in bits 0..11 is dropped).</summary>
    public const ulong AddressMask = 0x000F_FFFF_FFFF_F000UL;
    private const ulong Present = 1;
    private const ulong PageSizeBit = 1UL << 7;

    public static Translation Translate(IPhysicalMemory physical, ulong cr3, ulong virtualAddress, PagingMode mode = PagingMode.FourLevel)
    {
        var levels = (int)mode;
        var topBit = levels == 5 ? 56 : 47;
        var high = (long)virtualAddress >> topBit;
        if (high != 0 && high != -1) return Translation.Fail(TranslationFailure.NonCanonical, levels + 1);

        var table = cr3 & AddressMask;
        Span<byte> raw = stackalloc byte[8];
        for (var level = levels; level >= 1; level--)
        {
            var shift = 12 + (9 * (level - 1));
            var index = (virtualAddress >> shift) & 0x1FF;
            if (!physical.TryRead(table + (index * 8), raw)) return Translation.Fail(TranslationFailure.TableUnreadable, level, table);
            var entry = BitConverter.ToUInt64(raw);
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
}
