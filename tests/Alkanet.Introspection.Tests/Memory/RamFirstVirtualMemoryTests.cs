using Alkanet.Introspection.Memory;
using Alkanet.Introspection.TestKit;

namespace Alkanet.Introspection.Tests.Memory;

/// <summary>The live hook's reader: its own page walk over mapped RAM first, the hook's (QEMU's) reader for the rest.</summary>
public sealed class RamFirstVirtualMemoryTests
{
    private const ulong KernelStack = 0xffffc90000010000;
    private readonly SparsePhysicalMemory _phys = new(1UL << 30);
    private readonly PageTableBuilder _pt;
    private int _cr3Reads;

    public RamFirstVirtualMemoryTests() => _pt = new PageTableBuilder(_phys);

    /// <summary>What QEMU's reader would return: here, a fixed pattern, so a test sees which reader answered.</summary>
    private sealed class PatternMemory : IVirtualMemory
    {
        public int Calls;

        public int Read(ulong virtualAddress, Span<byte> destination)
        {
            Calls++;
            destination.Fill(0xEE);
            return destination.Length;
        }
    }

    private RamFirstVirtualMemory Reader(PatternMemory fallback) => new(_phys, fallback, () => { _cr3Reads++; return _pt.Cr3(5); });

    [Fact]
    public void Mapped_RAM_is_read_through_the_page_tables_without_the_fallback_and_CR3_is_read_once_a_hit()
    {
        _pt.MapNew(KernelStack, 8192);
        _pt.Write(KernelStack + 0xff8, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]); // across the page boundary
        var fallback = new PatternMemory();
        var memory = Reader(fallback);
        memory.BeginHit();
        var buf = new byte[16];
        memory.Read(KernelStack + 0xff8, buf).ShouldBe(16);
        buf.ShouldBe(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 });
        memory.Read(KernelStack, buf.AsSpan(0, 8)).ShouldBe(8);
        fallback.Calls.ShouldBe(0);
        _cr3Reads.ShouldBe(1);
        memory.BeginHit();
        _cr3Reads.ShouldBe(1); // a hit that reads no memory reads no CR3
        memory.Read(KernelStack, buf.AsSpan(0, 8));
        _cr3Reads.ShouldBe(2);
    }

    [Fact]
    public void What_the_walk_cannot_read_goes_to_the_fallback_from_where_it_stopped()
    {
        _pt.MapNew(KernelStack, 4096);
        _pt.Write(KernelStack + 0xffc, [7, 7, 7, 7]);
        var fallback = new PatternMemory();
        var memory = Reader(fallback);
        memory.BeginHit();
        var buf = new byte[8];
        memory.Read(KernelStack + 0xffc, buf).ShouldBe(8);
        buf.ShouldBe(new byte[] { 7, 7, 7, 7, 0xEE, 0xEE, 0xEE, 0xEE });
        fallback.Calls.ShouldBe(1);
        memory.DirectBytes.ShouldBe(4);
        memory.FallbackBytes.ShouldBe(4);
    }

    [Fact]
    public void A_page_remapped_between_hits_is_read_from_its_new_frame()
    {
        var first = _pt.MapNew(KernelStack, 4096);
        _phys.WriteU64(first, 0x1111);
        var memory = Reader(new PatternMemory());
        var buf = new byte[8];
        memory.BeginHit();
        memory.Read(KernelStack, buf);
        BitConverter.ToUInt64(buf).ShouldBe(0x1111UL);
        // the guest frees the stack and maps its address to another frame (vmalloc reuse)
        var second = _phys.AllocateFrame();
        _phys.WriteU64(second, 0x2222);
        _pt.Map(KernelStack, second);
        memory.BeginHit();
        memory.Read(KernelStack, buf);
        BitConverter.ToUInt64(buf).ShouldBe(0x2222UL);
    }

    [Fact]
    public void A_CR3_the_hook_already_read_is_used_without_asking_again()
    {
        _pt.MapNew(KernelStack, 4096);
        var memory = Reader(new PatternMemory());
        memory.BeginHit(_pt.Cr3());
        memory.Read(KernelStack, new byte[8]).ShouldBe(8);
        _cr3Reads.ShouldBe(0);
    }
    [Fact]
    public void A_range_this_hit_walked_is_pinned_and_read_in_a_later_hit_without_a_walk_or_CR3()
    {
        var frame = _pt.MapNew(KernelStack, 4096);
        _phys.WriteU64(frame + 0x10, 0x3333);
        var memory = Reader(new PatternMemory());
        memory.BeginHit();
        memory.TryPin(KernelStack, 8, out _).ShouldBeFalse(); // nothing walked yet: a pin never costs a CR3 read
        _cr3Reads.ShouldBe(0);
        memory.Read(KernelStack, new byte[8]).ShouldBe(8);
        memory.TryPin(KernelStack, 168, out var at).ShouldBeTrue();
        at.ShouldBe(frame);
        memory.TryPin(KernelStack + 0xff0, 168, out _).ShouldBeFalse(); // runs into the next page
        memory.TryPin(KernelStack + 0x10000, 8, out _).ShouldBeFalse(); // not mapped
        memory.BeginHit();
        var buf = new byte[8];
        memory.TryReadPinned(at + 0x10, buf).ShouldBeTrue();
        BitConverter.ToUInt64(buf).ShouldBe(0x3333UL);
        _cr3Reads.ShouldBe(1);
        memory.TryReadPinned(1UL << 40, buf).ShouldBeFalse(); // outside RAM
    }
}
