using Alkanet.Introspection.Memory;
using Alkanet.Introspection.TestKit;

namespace Alkanet.Introspection.Tests.Memory;

public class PageWalkerTests
{
    private static (SparsePhysicalMemory Phys, PageTableBuilder Pt) NewSpace(PagingMode mode = PagingMode.FourLevel)
    {
        var phys = new SparsePhysicalMemory(8UL << 30);
        return (phys, new PageTableBuilder(phys, mode));
    }

    [Theory]
    [InlineData(PagingMode.FourLevel, 0x0000_7FF6_1234_5678UL)]
    [InlineData(PagingMode.FourLevel, 0xFFFF_F800_0123_4ABCUL)]
    [InlineData(PagingMode.FiveLevel, 0x00FF_0000_1234_5678UL)]
    [InlineData(PagingMode.FiveLevel, 0xFF12_3456_7890_1ABCUL)]
    public void Four_and_five_level_walks_find_the_mapped_frame(PagingMode mode, ulong va)
    {
        var (phys, pt) = NewSpace(mode);
        var frame = phys.AllocateFrame();
        pt.Map(va & ~0xFFFUL, frame);
        var t = PageWalker.Translate(phys, pt.Cr3(), va, mode);
        t.Ok.ShouldBeTrue(t.ToString());
        t.PhysicalAddress.ShouldBe(frame | (va & 0xFFF));
        t.PageSize.ShouldBe(4096UL);
    }

    [Fact]
    public void Large_pages_of_2_MiB_and_1_GiB_translate_with_their_offset()
    {
        var (phys, pt) = NewSpace();
        pt.Map(0xFFFF_F800_0020_0000, 0x4020_0000, 0x20_0000);
        pt.Map(0x0000_0040_0000_0000, 0x8000_0000, 0x4000_0000);
        var t2 = PageWalker.Translate(phys, pt.Cr3(), 0xFFFF_F800_0031_2345);
        t2.Ok.ShouldBeTrue();
        t2.PhysicalAddress.ShouldBe(0x4031_2345UL);
        t2.PageSize.ShouldBe(0x20_0000UL);
        var t1 = PageWalker.Translate(phys, pt.Cr3(), 0x0000_0040_1234_5678);
        t1.PhysicalAddress.ShouldBe(0x9234_5678UL);
        t1.PageSize.ShouldBe(0x4000_0000UL);
    }

    [Fact]
    public void Pcid_bits_in_cr3_are_ignored()
    {
        var (phys, pt) = NewSpace();
        var frame = phys.AllocateFrame();
        pt.Map(0x1000, frame);
        PageWalker.Translate(phys, pt.Cr3(pcid: 0xABC), 0x1234).PhysicalAddress.ShouldBe(frame + 0x234);
    }

    [Fact]
    public void Failures_are_values_that_say_where_the_walk_stopped()
    {
        var (phys, pt) = NewSpace();
        pt.Map(0x7000_0000_0000, phys.AllocateFrame());
        var notMapped = PageWalker.Translate(phys, pt.Cr3(), 0x7000_0000_1000);
        notMapped.Ok.ShouldBeFalse();
        notMapped.Failure.ShouldBe(TranslationFailure.NotPresent);
        notMapped.FailedLevel.ShouldBe(1);
        PageWalker.Translate(phys, pt.Cr3(), 0x1000).FailedLevel.ShouldBe(4);
        PageWalker.Translate(phys, pt.Cr3(), 0x0000_9000_0000_0000).Failure.ShouldBe(TranslationFailure.NonCanonical);
        PageWalker.Translate(phys, 0xF_FFFF_F000, 0x1000).Failure.ShouldBe(TranslationFailure.TableUnreadable);
    }

    [Fact]
    public void Reads_cross_pages_and_stop_at_the_first_unmapped_one()
    {
        var (phys, pt) = NewSpace();
        pt.MapNew(0x10000, 0x2000);
        pt.Write(0x10FFC, [1, 2, 3, 4, 5, 6, 7, 8]);
        var vm = new PagedVirtualMemory(phys, pt.Cr3());
        var buf = new byte[8];
        vm.Read(0x10FFC, buf).ShouldBe(8);
        buf.ShouldBe(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 });
        var big = new byte[0x3000];
        vm.Read(0x10800, big).ShouldBe(0x1800);
        vm.Read(0x20000, big).ShouldBe(0);
        vm.Read(ulong.MaxValue - 3, big).ShouldBe(0);
    }

    [Fact]
    public void The_translation_cache_is_dropped_when_cr3_changes_and_only_then()
    {
        var phys = new SparsePhysicalMemory(1UL << 30);
        var a = new PageTableBuilder(phys);
        var b = new PageTableBuilder(phys);
        a.MapNew(0x400000, 4096);
        b.MapNew(0x400000, 4096);
        a.Write(0x400000, [0xAA]);
        b.Write(0x400000, [0xBB]);
        var vm = new PagedVirtualMemory(phys, a.Cr3());
        vm.TryReadU8(0x400000, out var va1).ShouldBeTrue();
        va1.ShouldBe((byte)0xAA);
        vm.TryReadU8(0x400001, out _);
        vm.Cache.Hits.ShouldBe(1);
        vm.SetCr3(a.Cr3(pcid: 5)); // same tables, other PCID: keep
        var inv = vm.Cache.Invalidations;
        vm.Cache.Invalidations.ShouldBe(inv);
        vm.SetCr3(b.Cr3());
        vm.Cache.Invalidations.ShouldBe(inv + 1);
        vm.TryReadU8(0x400000, out var vb).ShouldBeTrue();
        vb.ShouldBe((byte)0xBB);
    }

    private sealed class CountingPhysical(IPhysicalMemory inner) : IPhysicalMemory
    {
        public int Reads;
        public ulong Size => inner.Size;

        public bool TryRead(ulong physicalAddress, Span<byte> destination)
        {
            Reads++;
            return inner.TryRead(physicalAddress, destination);
        }
    }

    [Fact]
    public void Another_page_of_a_2_MiB_region_walked_before_reads_only_its_page_table_entry_until_the_cache_is_dropped()
    {
        var (phys, pt) = NewSpace();
        var (x, y, z) = (0xFFFF_F800_0040_1000UL, 0xFFFF_F800_0040_7000UL, 0xFFFF_F800_0040_9000UL);
        var (fx, fy, fz) = (phys.AllocateFrame(), phys.AllocateFrame(), phys.AllocateFrame());
        pt.Map(x, fx);
        pt.Map(y, fy);
        pt.Map(z, fz);
        var counting = new CountingPhysical(phys);
        var vm = new PagedVirtualMemory(counting, pt.Cr3());
        vm.Translate(x + 0x10).PhysicalAddress.ShouldBe(fx + 0x10);
        counting.Reads.ShouldBe(4);
        vm.Translate(y + 0x20).PhysicalAddress.ShouldBe(fy + 0x20);
        counting.Reads.ShouldBe(5); // the leaf entry only
        pt.Unmap(z); // the leaf is read every time: an unmapped page is seen at once
        vm.Translate(z).Failure.ShouldBe(TranslationFailure.NotPresent);
        // the next hit (cache dropped) walks again from CR3: a page table replaced in between is followed
        var newTable = phys.AllocateFrame();
        var moved = phys.AllocateFrame();
        phys.Write(newTable + (((y >> 12) & 0x1FF) * 8), BitConverter.GetBytes(moved | 3));
        var pdEntry = Entry(phys, pt.Root, y, 2);
        phys.Write(pdEntry, BitConverter.GetBytes(newTable | 3));
        vm.Cache.Clear();
        vm.Translate(y).PhysicalAddress.ShouldBe(moved);
        vm.Translate(x).Failure.ShouldBe(TranslationFailure.NotPresent); // the new table does not map x
    }

    [Fact]
    public void Another_page_of_a_large_page_walked_before_translates_without_a_read()
    {
        var (phys, pt) = NewSpace();
        pt.Map(0xFFFF_F800_0020_0000, 0x4020_0000, 0x20_0000);
        pt.Map(0x0000_0040_0000_0000, 0x8000_0000, 0x4000_0000);
        var counting = new CountingPhysical(phys);
        var vm = new PagedVirtualMemory(counting, pt.Cr3());
        vm.Translate(0xFFFF_F800_0031_2345).PhysicalAddress.ShouldBe(0x4031_2345UL);
        vm.Translate(0x0000_0040_1234_5678).PhysicalAddress.ShouldBe(0x9234_5678UL);
        var reads = counting.Reads;
        vm.Translate(0xFFFF_F800_0020_0008).PhysicalAddress.ShouldBe(0x4020_0008UL);
        vm.Translate(0x0000_0040_1230_0001).PhysicalAddress.ShouldBe(0x9230_0001UL);
        counting.Reads.ShouldBe(reads);
        vm.Translate(0x0000_0040_1260_0001).PhysicalAddress.ShouldBe(0x9260_0001UL); // another 2 MiB part of the 1 GiB page: a walk
        counting.Reads.ShouldBe(reads + 2); // PML4 and PDPT
    }

    /// <summary>The physical address of the entry at <paramref name="level"/> (4 = PML4 ... 1 = PT) that maps <paramref name="va"/>.</summary>
    private static ulong Entry(SparsePhysicalMemory phys, ulong root, ulong va, int level)
    {
        var table = root;
        for (var l = 4; ; l--)
        {
            var at = table + (((va >> (12 + (9 * (l - 1)))) & 0x1FF) * 8);
            if (l == level) return at;
            ((IPhysicalMemory)phys).TryReadU64(at, out var entry).ShouldBeTrue();
            table = entry & PageWalker.AddressMask;
        }
    }
}
