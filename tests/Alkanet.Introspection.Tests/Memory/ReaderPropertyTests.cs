using Alkanet.Introspection.Memory;
using Alkanet.Introspection.TestKit;
using FsCheck;
using FsCheck.Fluent;

namespace Alkanet.Introspection.Tests.Memory;

/// <summary>FsCheck properties of the bounded readers over a small mapped window surrounded by unmapped space.</summary>
public class ReaderPropertyTests
{
    private static readonly UnicodeStringLayout Us = new(0, 8, 16);
    private readonly PagedVirtualMemory _vm;
    private readonly PageTableBuilder _pt;

    public ReaderPropertyTests()
    {
        var phys = new SparsePhysicalMemory(1UL << 30);
        _pt = new PageTableBuilder(phys);
        _pt.MapNew(0x10000, 0x2000);
        var rng = new Random(5);
        var bytes = new byte[0x2000];
        rng.NextBytes(bytes);
        _pt.Write(0x10000, bytes);
        _vm = new PagedVirtualMemory(phys, _pt.Cr3());
    }

    [Fact]
    public void A_utf16_read_never_exceeds_its_cap_nor_the_mapped_window()
    {
        Prop.ForAll<ushort, ushort, ushort>((offset, length, cap) =>
        {
            var va = 0xF000UL + offset; // starts before, inside or after the 8 KiB window
            var s = _vm.ReadUtf16(va, length, cap % 4096);
            var readable = va >= 0x10000 && va < 0x12000 ? 0x12000 - va : 0;
            return s.BytesRead <= (ulong)(cap % 4096) && s.BytesRead <= readable && (s.Text is null || (ulong)s.Text.Length * 2 == s.BytesRead);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void A_descriptor_anywhere_reads_bounded_and_never_throws()
    {
        Prop.ForAll<ulong, ushort, ulong>((descriptor, length, buffer) =>
        {
            if (_vm.Read(0x10000, new byte[1]) == 1) { _pt.WriteU16(0x10000, length); _pt.WriteU64(0x10008, buffer); }
            var a = _vm.ReadUnicodeString(descriptor, Us, 256);
            var b = _vm.ReadUnicodeString(0x10000, Us, 256);
            return a.BytesRead <= 256 && b.BytesRead <= 256;
        }).QuickCheckThrowOnFailure();
    }
}
