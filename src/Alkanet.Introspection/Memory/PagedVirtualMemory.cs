namespace Alkanet.Introspection.Memory;

/// <summary>One guest address space read through its page tables: the walker over a physical source, with a
/// translation cache. Reads stop at the first unmapped page and report how far they got.</summary>
public sealed class PagedVirtualMemory : IVirtualMemory
{
    private const ulong LargePage = 1;
    private readonly TranslationCache _cache;

    public PagedVirtualMemory(IPhysicalMemory physical, ulong cr3, PagingMode mode = PagingMode.FourLevel, TranslationCache? cache = null)
    {
        Physical = physical;
        Mode = mode;
        _cache = cache ?? new TranslationCache();
        SetCr3(cr3);
    }

    public IPhysicalMemory Physical { get; }

    public PagingMode Mode { get; set; }

    public ulong Cr3 { get; private set; }

    public TranslationCache Cache => _cache;

    /// <summary>Follows a CR3 change (a context switch); the cache is dropped only when the table base differs.</summary>
    public void SetCr3(ulong cr3)
    {
        Cr3 = cr3 & PageWalker.AddressMask;
        _cache.UseAddressSpace(cr3);
    }

    public Translation Translate(ulong virtualAddress)
    {
        if (_cache.TryLookup(virtualAddress, out var t)) return t;
        if (_cache.TryLookupTable(virtualAddress, out var table))
        {
            t = (table & LargePage) != 0
                ? new Translation((table & ~LargePage) | (virtualAddress & 0x1F_FFFF), 4096, TranslationFailure.None, 0, 0)
                : PageWalker.TranslateInTable(Physical, table, virtualAddress);
        }
        else
        {
            t = PageWalker.Translate(Physical, Cr3, virtualAddress, Mode, out table);
            // a 2 MiB or 1 GiB page: its 2 MiB part holding the address, marked (frames are page-aligned: bit 0 is free)
            if (table == 0 && t.Ok && t.PageSize > 4096) table = (t.PhysicalAddress & ~0x1F_FFFFUL) | LargePage;
            _cache.StoreTable(virtualAddress, table);
        }
        _cache.Store(virtualAddress, t);
        return t;
    }

    public int Read(ulong virtualAddress, Span<byte> destination)
    {
        var done = 0;
        while (done < destination.Length)
        {
            var va = virtualAddress + (ulong)done;
            if (va < virtualAddress) break; // wrapped around the top of the address space
            var t = Translate(va);
            if (!t.Ok) break;
            var inPage = (int)Math.Min((ulong)(destination.Length - done), 4096 - (va & 0xFFF));
            if (!Physical.TryRead(t.PhysicalAddress, destination.Slice(done, inPage))) break;
            done += inPage;
        }
        return done;
    }
}
