using System.Buffers.Binary;
using System.Text;

namespace Alkanet.Introspection.TestKit.Boot;

/// <summary>Writes a raw disk image holding one FAT16 file system (a "superfloppy": no partition table, as UEFI
/// firmware accepts for removable and fixed media alike) with the given files; directories are made as needed.
/// Layout facts from Microsoft's "FAT: General Overview of On-Disk Format" (BPB fields, cluster-count rule).</summary>
public sealed class Fat16ImageWriter
{
    public const int SectorSize = 512;
    private const int SectorsPerCluster = 4, ReservedSectors = 1, FatCount = 2, RootEntries = 512;
    private const ushort FixedDate = (2020 - 1980) << 9 | 1 << 5 | 1; // deterministic images
    private readonly Node _root = new("", true);

    /// <summary>Disk size in bytes (32 MiB: enough clusters to be FAT16, which needs 4085 to 65524).</summary>
    public long DiskSize { get; init; } = 32L << 20;

    /// <summary>Adds a file at a backslash path such as <c>\EFI\BOOT\BOOTX64.EFI</c> (8.3 names, upper case).</summary>
    public void AddFile(string path, byte[] contents)
    {
        var parts = path.Split('\\', StringSplitOptions.RemoveEmptyEntries);
        var dir = _root;
        for (var i = 0; i < parts.Length - 1; i++)
        {
            var next = dir.Children.FirstOrDefault(c => c.Name == parts[i]);
            if (next is null) dir.Children.Add(next = new Node(parts[i], true));
            else if (!next.IsDirectory) throw new ArgumentException($"{parts[i]} in {path} is a file");
            dir = next;
        }
        dir.Children.Add(new Node(parts[^1], false) { Contents = contents });
    }

    public byte[] Build()
    {
        var totalSectors = (int)(DiskSize / SectorSize);
        var clusterGuess = totalSectors / SectorsPerCluster;
        var fatSectors = ((clusterGuess + 2) * 2 + SectorSize - 1) / SectorSize;
        var rootSectors = RootEntries * 32 / SectorSize;
        var dataStart = ReservedSectors + (FatCount * fatSectors) + rootSectors;
        var clusters = (totalSectors - dataStart) / SectorsPerCluster;
        if (clusters is < 4085 or > 65524) throw new InvalidOperationException($"a {DiskSize}-byte disk gives {clusters} clusters: not FAT16");
        var disk = new byte[DiskSize];
        WriteBootSector(disk, totalSectors, fatSectors);
        var fat = new ushort[clusters + 2];
        fat[0] = 0xFFF8;
        fat[1] = 0xFFFF;
        var nextCluster = 2;
        const int clusterBytes = SectorsPerCluster * SectorSize;
        int Allocate(int bytes)
        {
            var count = Math.Max(1, (bytes + clusterBytes - 1) / clusterBytes);
            if (nextCluster + count > clusters + 2) throw new InvalidOperationException("the files do not fit the disk");
            var first = nextCluster;
            for (var i = 0; i < count; i++) fat[first + i] = (ushort)(i == count - 1 ? 0xFFFF : first + i + 1);
            nextCluster += count;
            return first;
        }
        Span<byte> ClusterSpan(int cluster, int bytes) =>
            disk.AsSpan(((dataStart + ((cluster - 2) * SectorsPerCluster)) * SectorSize), bytes);

        void WriteDirectory(Node dir, Span<byte> entries, int selfCluster, int parentCluster)
        {
            var slot = 0;
            if (selfCluster != 0)
            {
                WriteEntry(entries, slot++, ".          ", 0x10, selfCluster, 0);
                WriteEntry(entries, slot++, "..         ", 0x10, parentCluster, 0);
            }
            foreach (var child in dir.Children)
            {
                if (child.IsDirectory)
                {
                    var c = Allocate(clusterBytes);
                    WriteEntry(entries, slot++, ShortName(child.Name), 0x10, c, 0);
                    WriteDirectory(child, ClusterSpan(c, clusterBytes), c, selfCluster);
                }
                else
                {
                    var data = child.Contents!;
                    var c = Allocate(data.Length);
                    WriteEntry(entries, slot++, ShortName(child.Name), 0x20, c, (uint)data.Length);
                    data.CopyTo(disk.AsSpan((dataStart + ((c - 2) * SectorsPerCluster)) * SectorSize));
                }
            }
        }
        var rootStart = (ReservedSectors + (FatCount * fatSectors)) * SectorSize;
        WriteDirectory(_root, disk.AsSpan(rootStart, RootEntries * 32), 0, 0);
        for (var f = 0; f < FatCount; f++)
        {
            var fatBytes = disk.AsSpan((ReservedSectors + (f * fatSectors)) * SectorSize, fatSectors * SectorSize);
            for (var i = 0; i < fat.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(fatBytes[(i * 2)..], fat[i]);
        }
        return disk;
    }

    private static void WriteBootSector(byte[] disk, int totalSectors, int fatSectors)
    {
        var b = disk.AsSpan(0, SectorSize);
        b[0] = 0xEB; b[1] = 0x3C; b[2] = 0x90;
        "ALKANET "u8.CopyTo(b[3..]);
        BinaryPrimitives.WriteUInt16LittleEndian(b[11..], SectorSize);
        b[13] = SectorsPerCluster;
        BinaryPrimitives.WriteUInt16LittleEndian(b[14..], ReservedSectors);
        b[16] = FatCount;
        BinaryPrimitives.WriteUInt16LittleEndian(b[17..], RootEntries);
        BinaryPrimitives.WriteUInt16LittleEndian(b[19..], (ushort)(totalSectors < 0x10000 ? totalSectors : 0));
        b[21] = 0xF8; // fixed disk
        BinaryPrimitives.WriteUInt16LittleEndian(b[22..], (ushort)fatSectors);
        BinaryPrimitives.WriteUInt16LittleEndian(b[24..], 32); // sectors per track (geometry is nominal)
        BinaryPrimitives.WriteUInt16LittleEndian(b[26..], 64); // heads
        BinaryPrimitives.WriteUInt32LittleEndian(b[32..], (uint)(totalSectors < 0x10000 ? 0 : totalSectors));
        b[36] = 0x80;
        b[38] = 0x29;
        BinaryPrimitives.WriteUInt32LittleEndian(b[39..], 0xA1CA_4E70); // volume serial
        "ALKANET    "u8.CopyTo(b[43..]);
        "FAT16   "u8.CopyTo(b[54..]);
        b[510] = 0x55; b[511] = 0xAA;
    }

    private static void WriteEntry(Span<byte> entries, int slot, string name11, byte attributes, int cluster, uint size)
    {
        if ((slot + 1) * 32 > entries.Length) throw new InvalidOperationException("directory full");
        var e = entries.Slice(slot * 32, 32);
        Encoding.ASCII.GetBytes(name11).CopyTo(e);
        e[11] = attributes;
        BinaryPrimitives.WriteUInt16LittleEndian(e[16..], FixedDate); // created
        BinaryPrimitives.WriteUInt16LittleEndian(e[18..], FixedDate); // accessed
        BinaryPrimitives.WriteUInt16LittleEndian(e[24..], FixedDate); // written
        BinaryPrimitives.WriteUInt16LittleEndian(e[26..], (ushort)cluster);
        BinaryPrimitives.WriteUInt32LittleEndian(e[28..], size);
    }

    /// <summary>"BOOTX64.EFI" → "BOOTX64 EFI" (8.3, space padded).</summary>
    internal static string ShortName(string name)
    {
        var dot = name.LastIndexOf('.');
        var stem = dot < 0 ? name : name[..dot];
        var ext = dot < 0 ? "" : name[(dot + 1)..];
        if (stem.Length is 0 or > 8 || ext.Length > 3 || name.Any(c => c is < '!' or > '~' || char.IsLower(c)))
            throw new ArgumentException($"'{name}' is not an upper-case 8.3 name");
        return stem.PadRight(8) + ext.PadRight(3);
    }

    private sealed class Node(string name, bool isDirectory)
    {
        public string Name { get; } = name;
        public bool IsDirectory { get; } = isDirectory;
        public List<Node> Children { get; } = [];
        public byte[]? Contents { get; init; }
    }
}
