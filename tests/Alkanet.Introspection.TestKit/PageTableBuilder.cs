using Alkanet.Introspection.Memory;

namespace Alkanet.Introspection.TestKit;

/// <summary>Builds x86-64 page tables (4- or 5-level) in a sparse physical memory: 4 KiB, 2 MiB and 1 GiB mappings,
/// and writes through its own mappings, like a guest kernel setting up its address space.</summary>
public sealed class PageTableBuilder
{
    private const ulong Present = 1, Writable = 2, User = 4, Large = 0x80;

    public PageTableBuilder(SparsePhysicalMemory physical, PagingMode mode = PagingMode.FourLevel, ulong? sharedRoot = null)
    {
        Physical = physical;
        Mode = mode;
        Root = physical.AllocateFrame();
        if (sharedRoot is { } other)
        {
            // Copy the kernel half (upper 256 root entries), as every Windows process's tables share it.
            Span<byte> half = stackalloc byte[2048];
            physical.TryRead(other + 2048, half);
            physical.Write(Root + 2048, half);
        }
    }

    public SparsePhysicalMemory Physical { get; }
    public PagingMode Mode { get; }
    public ulong Root { get; }

    /// <summary>CR3 for this address space (with optional PCID in the low 12 bits, which walkers must ignore).</summary>
    public ulong Cr3(ushort pcid = 0) => Root | (pcid & 0xFFFUL);

    public void Map(ulong va, ulong pa, ulong pageSize = 4096)
    {
        var targetLevel = pageSize switch { 4096 => 1, 0x20_0000 => 2, 0x4000_0000 => 3, _ => throw new ArgumentOutOfRangeException(nameof(pageSize)) };
        var table = Root;
        for (var level = (int)Mode; level > targetLevel; level--)
        {
            var slot = table + (((va >> (12 + (9 * (level - 1)))) & 0x1FF) * 8);
            var entry = ReadU64(slot);
            if ((entry & Present) == 0)
            {
                var next = Physical.AllocateFrame();
                entry = next | Present | Writable | User;
                Physical.WriteU64(slot, entry);
            }
            table = entry & PageWalker.AddressMask;
        }
        var leaf = table + (((va >> (12 + (9 * (targetLevel - 1)))) & 0x1FF) * 8);
        Physical.WriteU64(leaf, (pa & PageWalker.AddressMask) | Present | Writable | User | (targetLevel > 1 ? Large : 0));
    }

    /// <summary>Maps [va, va+length) to freshly allocated frames (4 KiB pages); returns the first frame.</summary>
    public ulong MapNew(ulong va, ulong length)
    {
        var pages = (int)((length + 4095) / 4096);
        var pa = Physical.AllocateFrames(pages);
        for (var i = 0; i < pages; i++) Map(va + ((ulong)i * 4096), pa + ((ulong)i * 4096));
        return pa;
    }

    /// <summary>Clears the 4 KiB leaf entry of <paramref name="va"/> (the page becomes not present).</summary>
    public void Unmap(ulong va)
    {
        var table = Root;
        for (var level = (int)Mode; level > 1; level--)
        {
            var entry = ReadU64(table + (((va >> (12 + (9 * (level - 1)))) & 0x1FF) * 8));
            if ((entry & Present) == 0 || (entry & Large) != 0) return;
            table = entry & PageWalker.AddressMask;
        }
        Physical.WriteU64(table + (((va >> 12) & 0x1FF) * 8), 0);
    }

    public Translation Translate(ulong va) => PageWalker.Translate(Physical, Root, va, Mode);

    /// <summary>Writes through the mappings; throws when a page is not mapped (a bug in the test, not guest data).</summary>
    public void Write(ulong va, ReadOnlySpan<byte> data)
    {
        var done = 0;
        while (done < data.Length)
        {
            var t = Translate(va + (ulong)done);
            if (!t.Ok) throw new InvalidOperationException($"synthetic guest: {va + (ulong)done:x} is not mapped ({t})");
            var n = (int)Math.Min((ulong)(data.Length - done), 4096 - ((va + (ulong)done) & 0xFFF));
            Physical.Write(t.PhysicalAddress, data.Slice(done, n));
            done += n;
        }
    }

    public void WriteU64(ulong va, ulong v) => Write(va, BitConverter.GetBytes(v));
    public void WriteU32(ulong va, uint v) => Write(va, BitConverter.GetBytes(v));
    public void WriteU16(ulong va, ushort v) => Write(va, BitConverter.GetBytes(v));
    public void WriteU8(ulong va, byte v) => Write(va, [v]);

    private ulong ReadU64(ulong pa)
    {
        Span<byte> b = stackalloc byte[8];
        Physical.TryRead(pa, b);
        return BitConverter.ToUInt64(b);
    }
}
