namespace Alkanet.Introspection.Memory;

/// <summary>Virtual page → physical page for one address space, dropped whenever the CR3 it was built for changes
/// (a guest may rewrite page tables of a process it switched away from, so nothing is kept across a switch).
/// Direct-mapped (a fixed array indexed by page number), so a lookup never allocates and the cache never grows;
/// collisions just evict. Dropping is O(1): entries carry the generation they were stored in. Failed walks are
/// not cached: a page may be paged in later.</summary>
public sealed class TranslationCache
{
    private readonly ulong[] _tags;
    private readonly ulong[] _frames;
    private readonly uint[] _generations;
    private readonly int _mask;
    // Page tables (level 1) by 2 MiB region: a miss on another page of a region walked before reads one entry, not 4 or 5.
    private const int TableEntries = 32;
    private readonly ulong[] _tableTags = new ulong[TableEntries];
    private readonly ulong[] _tables = new ulong[TableEntries];
    private readonly uint[] _tableGenerations = new uint[TableEntries];
    private uint _generation = 1;
    private ulong _cr3 = ulong.MaxValue;

    public TranslationCache(int entries = 4096)
    {
        if (entries <= 0 || (entries & (entries - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(entries), "must be a power of two");
        _tags = new ulong[entries];
        _frames = new ulong[entries];
        _generations = new uint[entries];
        _mask = entries - 1;
    }

    public long Hits { get; private set; }
    public long Misses { get; private set; }
    public long Invalidations { get; private set; }

    /// <summary>Switches the cache to <paramref name="cr3"/> (PCID bits ignored); drops everything when it differs.</summary>
    public void UseAddressSpace(ulong cr3)
    {
        cr3 &= PageWalker.AddressMask;
        if (cr3 == _cr3) return;
        Clear();
        _cr3 = cr3;
    }

    public void Clear()
    {
        Invalidations++;
        if (++_generation == 0)
        {
            // After 2^32 drops the counter wraps: clear for real once, so no stale entry can match again.
            Array.Clear(_generations);
            Array.Clear(_tableGenerations);
            _generation = 1;
        }
    }

    public bool TryLookup(ulong virtualAddress, out Translation translation)
    {
        var page = virtualAddress >> 12;
        var slot = (int)(page & (ulong)_mask);
        if (_tags[slot] == page && _generations[slot] == _generation)
        {
            translation = new Translation(_frames[slot] | (virtualAddress & 0xFFF), 4096, TranslationFailure.None, 0, 0);
            Hits++;
            return true;
        }
        Misses++;
        translation = default;
        return false;
    }

    /// <summary>What maps <paramref name="virtualAddress"/>'s 2 MiB region (its page table, or a large page's frame as the
    /// caller marked it), when a walk of this generation found it.</summary>
    public bool TryLookupTable(ulong virtualAddress, out ulong pageTable)
    {
        var region = virtualAddress >> 21;
        var slot = (int)(region & (TableEntries - 1));
        var hit = _tableTags[slot] == region && _tableGenerations[slot] == _generation;
        pageTable = hit ? _tables[slot] : 0;
        return hit;
    }

    public void StoreTable(ulong virtualAddress, ulong pageTable)
    {
        if (pageTable == 0) return;
        var region = virtualAddress >> 21;
        var slot = (int)(region & (TableEntries - 1));
        _tableTags[slot] = region;
        _tables[slot] = pageTable;
        _tableGenerations[slot] = _generation;
    }

    public void Store(ulong virtualAddress, in Translation translation)
    {
        if (!translation.Ok) return;
        var page = virtualAddress >> 12;
        var slot = (int)(page & (ulong)_mask);
        _tags[slot] = page;
        // Cached at 4 KiB granularity even inside large pages: the key stays one page number.
        _frames[slot] = translation.PhysicalAddress & ~0xFFFUL;
        _generations[slot] = _generation;
    }
}
