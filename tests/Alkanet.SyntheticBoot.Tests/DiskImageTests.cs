using System.Buffers.Binary;
using System.Reflection.PortableExecutable;
using System.Text;
using Alkanet.Introspection.TestKit.Boot;

namespace Alkanet.SyntheticBoot.Tests;

/// <summary>The disk and the UEFI application read back with parsers that are not the writers: a FAT16 walk written
/// here from the on-disk format, and .NET's own PEReader.</summary>
public class DiskImageTests
{
    private static readonly Lazy<SyntheticWindowsBootDisk> Disk = new(() => BootDisks.Build());

    [Fact]
    public void The_disk_is_a_fat16_volume_holding_the_efi_application_at_the_removable_media_path()
    {
        var image = Disk.Value.DiskImage();
        var fat = new Fat16Reader(image);
        fat.FileSystemType.ShouldBe("FAT16   ");
        fat.ClusterCount.ShouldBeInRange(4085, 65524); // the count that makes a volume FAT16
        fat.ReadFile(@"\EFI\BOOT\BOOTX64.EFI").ShouldBe(Disk.Value.EfiApplication);
        fat.ReadFile(@"\EFI\BOOT\MISSING.EFI").ShouldBeNull();
        BinaryPrimitives.ReadUInt16LittleEndian(image.AsSpan(510)).ShouldBe((ushort)0xAA55);
    }

    [Fact]
    public void The_application_is_a_pe32_plus_efi_application_whose_entry_is_inside_its_code()
    {
        using var pe = new PEReader(new MemoryStream(Disk.Value.EfiApplication));
        var h = pe.PEHeaders;
        h.CoffHeader.Machine.ShouldBe(Machine.Amd64);
        h.PEHeader!.Magic.ShouldBe(PEMagic.PE32Plus);
        ((int)h.PEHeader.Subsystem).ShouldBe(10); // EFI application
        (h.CoffHeader.Characteristics & Characteristics.RelocsStripped).ShouldBe((Characteristics)0); // may load anywhere
        h.PEHeader.BaseRelocationTableDirectory.Size.ShouldBe(0); // position independent: nothing to relocate
        var text = h.SectionHeaders.Single();
        text.Name.ShouldBe(".text");
        (text.SectionCharacteristics & SectionCharacteristics.MemExecute).ShouldNotBe((SectionCharacteristics)0);
        h.PEHeader.AddressOfEntryPoint.ShouldBeInRange(text.VirtualAddress, text.VirtualAddress + text.VirtualSize - 1);
        h.PEHeader.SizeOfImage.ShouldBeGreaterThanOrEqualTo(text.VirtualAddress + text.VirtualSize);
    }

    [Fact]
    public void The_application_carries_every_written_guest_frame_inside_its_window()
    {
        var d = Disk.Value;
        d.WindowStart.ShouldBe(64UL << 20);
        d.WindowEnd.ShouldBeGreaterThan(d.Guest.Physical.NextFree - 1);
        var frames = d.Guest.Physical.WrittenFrames().ToList();
        frames.ShouldAllBe(f => f.Address >= d.WindowStart && f.Address + 4096 <= d.WindowEnd);
        var runs = EfiLoader.FrameRuns(frames);
        var efi = d.EfiApplication;
        efi.AsSpan().IndexOf(runs).ShouldBeGreaterThan(0);
    }

    [Fact]
    public void The_same_options_give_the_same_disk_bytes_and_another_base_a_different_one()
    {
        var again = BootDisks.Build().DiskImage();
        again.ShouldBe(Disk.Value.DiskImage()); // no clock, no random: a disk can be cached by its options
        BootDisks.Build(new SyntheticBootOptions { KernelBase = 0xFFFF_F800_1260_0000UL }).EfiApplication.ShouldNotBe(Disk.Value.EfiApplication);
    }

    [Fact]
    public void An_8_3_name_is_required_and_files_that_do_not_fit_are_refused()
    {
        var w = new Fat16ImageWriter();
        Should.Throw<ArgumentException>(() => { w.AddFile(@"\efi\boot\bootx64.efi", [1]); w.Build(); });
        var big = new Fat16ImageWriter();
        big.AddFile(@"\BIG.BIN", new byte[40 << 20]);
        Should.Throw<InvalidOperationException>(big.Build).Message.ShouldContain("do not fit");
    }

    /// <summary>Just enough FAT16 to find a file by path: BPB, root directory, subdirectory clusters, FAT chains.</summary>
    private sealed class Fat16Reader(byte[] disk)
    {
        private int BytesPerSector => BinaryPrimitives.ReadUInt16LittleEndian(disk.AsSpan(11));
        private int SectorsPerCluster => disk[13];
        private int Reserved => BinaryPrimitives.ReadUInt16LittleEndian(disk.AsSpan(14));
        private int Fats => disk[16];
        private int RootEntries => BinaryPrimitives.ReadUInt16LittleEndian(disk.AsSpan(17));
        private int FatSectors => BinaryPrimitives.ReadUInt16LittleEndian(disk.AsSpan(22));
        private int TotalSectors => BinaryPrimitives.ReadUInt16LittleEndian(disk.AsSpan(19)) is var s and > 0 ? s : (int)BinaryPrimitives.ReadUInt32LittleEndian(disk.AsSpan(32));
        private int RootStart => (Reserved + (Fats * FatSectors)) * BytesPerSector;
        private int DataStartSector => Reserved + (Fats * FatSectors) + (RootEntries * 32 / BytesPerSector);

        public string FileSystemType => Encoding.ASCII.GetString(disk, 54, 8);
        public int ClusterCount => (TotalSectors - DataStartSector) / SectorsPerCluster;

        public byte[]? ReadFile(string path)
        {
            var dir = disk.AsSpan(RootStart, RootEntries * 32).ToArray();
            var parts = path.Split('\\', StringSplitOptions.RemoveEmptyEntries);
            for (var i = 0; i < parts.Length; i++)
            {
                var entry = Find(dir, parts[i]);
                if (entry is null) return null;
                var (cluster, size, isDir) = entry.Value;
                var data = Chain(cluster);
                if (i == parts.Length - 1) return isDir ? null : data[..(int)size];
                if (!isDir) return null;
                dir = data;
            }
            return null;
        }

        private static (int Cluster, uint Size, bool IsDir)? Find(byte[] dir, string name)
        {
            var dot = name.LastIndexOf('.');
            var want = dot < 0 ? name.PadRight(11) : name[..dot].PadRight(8) + name[(dot + 1)..].PadRight(3);
            for (var o = 0; o + 32 <= dir.Length && dir[o] != 0; o += 32)
                if (Encoding.ASCII.GetString(dir, o, 11) == want)
                    return (BinaryPrimitives.ReadUInt16LittleEndian(dir.AsSpan(o + 26)), BinaryPrimitives.ReadUInt32LittleEndian(dir.AsSpan(o + 28)), (dir[o + 11] & 0x10) != 0);
            return null;
        }

        private byte[] Chain(int cluster)
        {
            var clusterBytes = SectorsPerCluster * BytesPerSector;
            var fat = Reserved * BytesPerSector;
            using var ms = new MemoryStream();
            for (var hops = 0; cluster is >= 2 and < 0xFFF8; hops++)
            {
                if (hops > ClusterCount) throw new InvalidDataException("FAT chain loops");
                ms.Write(disk, (DataStartSector * BytesPerSector) + ((cluster - 2) * clusterBytes), clusterBytes);
                cluster = BinaryPrimitives.ReadUInt16LittleEndian(disk.AsSpan(fat + (cluster * 2)));
            }
            return ms.ToArray();
        }
    }
}
