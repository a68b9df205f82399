using Alkanet.Introspection.Memory;
using Alkanet.Introspection.TestKit;

namespace Alkanet.Introspection.Tests.Memory;

public sealed class PhysicalSourceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alkanet-phys-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private (string Path, SparsePhysicalMemory Phys, PageTableBuilder Pt) WriteGuestFile()
    {
        var phys = new SparsePhysicalMemory(4UL << 20);
        var pt = new PageTableBuilder(phys);
        pt.MapNew(0x7FF0_0000_0000, 0x2000);
        pt.Write(0x7FF0_0000_0FFE, "hello, guest"u8);
        var path = Path.Combine(_dir, "ram");
        File.WriteAllBytes(path, phys.ToArray(phys.Size));
        return (path, phys, pt);
    }

    [Fact]
    public void A_raw_image_and_a_shared_ram_file_read_like_the_guest_memory_they_hold()
    {
        var (path, _, pt) = WriteGuestFile();
        using var raw = new RawImagePhysicalMemory(path);
        using var mapped = new SharedRamFilePhysicalMemory(path);
        foreach (IPhysicalMemory source in new IPhysicalMemory[] { raw, mapped })
        {
            var vm = new PagedVirtualMemory(source, pt.Cr3());
            var buf = new byte[12];
            vm.Read(0x7FF0_0000_0FFE, buf).ShouldBe(12);
            System.Text.Encoding.ASCII.GetString(buf).ShouldBe("hello, guest");
            source.TryRead(source.Size - 4, new byte[8]).ShouldBeFalse();
            source.TryRead(ulong.MaxValue - 2, new byte[8]).ShouldBeFalse();
        }
    }

    [Fact]
    public void Ranges_place_ram_above_the_pci_hole_at_the_file_offset_where_low_ram_ended()
    {
        var path = Path.Combine(_dir, "ram2");
        var bytes = new byte[0x3000];
        bytes[0x2000] = 0x5A;
        File.WriteAllBytes(path, bytes);
        var ranges = new[] { new PhysicalRange(0, 0, 0x2000), new PhysicalRange(0x1_0000_0000, 0x2000, 0x1000) };
        using var mapped = new SharedRamFilePhysicalMemory(path, ranges);
        var one = new byte[1];
        mapped.TryRead(0x1_0000_0000, one).ShouldBeTrue();
        one[0].ShouldBe((byte)0x5A);
        mapped.TryRead(0x2000, one).ShouldBeFalse(); // the hole
        mapped.TryRead(0x1FFF, new byte[2]).ShouldBeFalse(); // straddles into the hole
    }

    [Fact]
    public void Entries_are_read_whole_below_the_hole_and_through_the_ranges_above_it_and_never_across_an_end()
    {
        var path = Path.Combine(_dir, "ram3");
        var bytes = new byte[0x3000];
        BitConverter.GetBytes(0x1122_3344_5566_7788UL).CopyTo(bytes, 0x1FF8);
        BitConverter.GetBytes(0x99AA_BBCC_DDEE_FF00UL).CopyTo(bytes, 0x2000);
        File.WriteAllBytes(path, bytes);
        using var mapped = new SharedRamFilePhysicalMemory(path, [new PhysicalRange(0, 0, 0x2000), new PhysicalRange(0x1_0000_0000, 0x2000, 0x1000)]);
        IPhysicalMemory source = mapped;
        source.TryReadU64(0x1FF8, out var low).ShouldBeTrue();
        low.ShouldBe(0x1122_3344_5566_7788UL);
        source.TryReadU64(0x1_0000_0000, out var high).ShouldBeTrue();
        high.ShouldBe(0x99AA_BBCC_DDEE_FF00UL);
        source.TryReadU64(0x1FFC, out var across).ShouldBeFalse(); // into the hole
        across.ShouldBe(0UL);
        source.TryReadU64(0x1_0000_0FFC, out _).ShouldBeFalse(); // past the file's end
        source.TryReadU64(ulong.MaxValue - 3, out _).ShouldBeFalse();
        // the interface's default (a source without its own) reads the same value
        using var raw = new RawImagePhysicalMemory(path);
        ((IPhysicalMemory)raw).TryReadU64(0x1FF8, out var viaCopy).ShouldBeTrue();
        viaCopy.ShouldBe(low);
    }
}
