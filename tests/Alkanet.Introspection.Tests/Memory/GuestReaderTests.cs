using System.Text;
using Alkanet.Introspection.Memory;
using Alkanet.Introspection.TestKit;

namespace Alkanet.Introspection.Tests.Memory;

public class GuestReaderTests
{
    private static readonly UnicodeStringLayout Us = new(0, 8, 16);
    private readonly SparsePhysicalMemory _phys = new(1UL << 30);
    private readonly PageTableBuilder _pt;
    private readonly PagedVirtualMemory _vm;

    public GuestReaderTests()
    {
        _pt = new PageTableBuilder(_phys);
        _pt.MapNew(0x10000, 0x3000);
        _vm = new PagedVirtualMemory(_phys, _pt.Cr3());
    }

    private void Descriptor(ulong at, ushort length, ulong buffer)
    {
        _pt.WriteU16(at, length);
        _pt.WriteU16(at + 2, length);
        _pt.WriteU64(at + 8, buffer);
    }

    [Fact]
    public void A_unicode_string_crossing_a_page_reads_whole()
    {
        var text = "\\??\\C:\\Windows\\Globalization\\Sorting\\sortdefault.nls";
        var bytes = Encoding.Unicode.GetBytes(text);
        var buffer = 0x11000UL - 20;
        _pt.Write(buffer, bytes);
        Descriptor(0x10000, (ushort)bytes.Length, buffer);
        var s = _vm.ReadUnicodeString(0x10000, Us);
        s.ToRecordText().ShouldBe(text);
        s.Truncated.ShouldBeFalse();
    }

    [Fact]
    public void An_odd_length_drops_the_half_character()
    {
        _pt.Write(0x10100, Encoding.Unicode.GetBytes("abc"));
        Descriptor(0x10000, 5, 0x10100);
        _vm.ReadUnicodeString(0x10000, Us).Text.ShouldBe("ab");
    }

    [Fact]
    public void A_length_above_the_cap_is_cut_at_the_cap()
    {
        _pt.Write(0x10100, Encoding.Unicode.GetBytes(new string('x', 100)));
        Descriptor(0x10000, 200, 0x10100);
        var s = _vm.ReadUnicodeString(0x10000, Us, maxBytes: 20);
        s.Text.ShouldBe(new string('x', 10));
        s.Truncated.ShouldBeTrue();
    }

    [Fact]
    public void A_partially_unmapped_string_keeps_its_readable_part_and_names_the_first_unreadable_address()
    {
        _pt.Write(0x12FFA, Encoding.Unicode.GetBytes("abc"));
        Descriptor(0x10000, 20, 0x12FFA);
        var s = _vm.ReadUnicodeString(0x10000, Us);
        s.Text.ShouldBe("abc");
        s.FailedAt.ShouldBe(0x13000UL);
        s.ToRecordText().ShouldBe("abc<unreadable@13000>");
    }

    [Fact]
    public void An_unmapped_descriptor_or_buffer_is_the_unreadable_marker()
    {
        _vm.ReadUnicodeString(0x50000, Us).ToRecordText().ShouldBe("<unreadable@50000>");
        Descriptor(0x10000, 8, 0xFFFF_F800_0000_0000);
        _vm.ReadUnicodeString(0x10000, Us).ToRecordText().ShouldBe("<unreadable@fffff80000000000>");
    }

    [Fact]
    public void Ansi_strings_stop_at_nul_at_the_cap_or_at_an_unmapped_page()
    {
        _pt.Write(0x10200, "tcpip\0junk"u8);
        _vm.ReadAnsi(0x10200).Text.ShouldBe("tcpip");
        _pt.Write(0x12FFD, "abc"u8);
        var cut = _vm.ReadAnsi(0x12FFD);
        cut.Text.ShouldBe("abc");
        cut.FailedAt.ShouldBe(0x13000UL);
        _pt.Write(0x10300, "0123456789"u8);
        _vm.ReadAnsi(0x10300, maxBytes: 4).Text.ShouldBe("0123");
        _vm.ReadFixedAnsi(0x10300, 15).ShouldBe("0123456789");
    }
}
