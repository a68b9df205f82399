using System.Buffers.Binary;
using System.Text;

namespace Alkanet.Introspection.Linux;

/// <summary>A read-only view of an ELF64 little-endian file (the guest's vmlinux): its sections by name and
/// the bytes at a link-time virtual address. Every offset is bounds-checked; a malformed file raises
/// <see cref="InvalidDataException"/> naming the file and offset.</summary>
public sealed class ElfImage
{
    private readonly byte[] _data;
    private readonly List<ElfSection> _sections = [];

    public string Path { get; }

    public IReadOnlyList<ElfSection> Sections => _sections;

    private ElfImage(string path, byte[] data)
    {
        Path = path;
        _data = data;
        Parse();
    }

    public static ElfImage Load(string path) => new(path, File.ReadAllBytes(path));

    public static ElfImage FromBytes(byte[] data, string name = "<memory>") => new(name, data);

    public ElfSection? Section(string name) => _sections.FirstOrDefault(s => s.Name == name);

    public ReadOnlySpan<byte> SectionBytes(ElfSection section) => _data.AsSpan((int)section.FileOffset, (int)section.Size);

    /// <summary>The file bytes that load at link-time address <paramref name="address"/>, or false when no
    /// PROGBITS section covers the whole range.</summary>
    public bool TryReadAddress(ulong address, Span<byte> destination)
    {
        foreach (var s in _sections)
        {
            if (s.Type != 1 || s.Address == 0 || address < s.Address) continue;
            var rel = address - s.Address;
            if (rel + (ulong)destination.Length > s.Size) continue;
            _data.AsSpan((int)(s.FileOffset + rel), destination.Length).CopyTo(destination);
            return true;
        }
        return false;
    }

    private void Parse()
    {
        var d = _data.AsSpan();
        if (d.Length < 64 || d[0] != 0x7F || d[1] != (byte)'E' || d[2] != (byte)'L' || d[3] != (byte)'F')
            throw Bad(0, "not an ELF file");
        if (d[4] != 2 || d[5] != 1) throw Bad(4, "only ELF64 little-endian is supported");
        var shoff = BinaryPrimitives.ReadUInt64LittleEndian(d[0x28..]);
        var shentsize = BinaryPrimitives.ReadUInt16LittleEndian(d[0x3A..]);
        var shnum = BinaryPrimitives.ReadUInt16LittleEndian(d[0x3C..]);
        var shstrndx = BinaryPrimitives.ReadUInt16LittleEndian(d[0x3E..]);
        if (shentsize < 64 || shoff > (ulong)d.Length || shoff + (ulong)shnum * shentsize > (ulong)d.Length)
            throw Bad(0x28, $"section header table (offset {shoff}, {shnum} entries) lies outside the file");
        var raw = new (uint Name, uint Type, ulong Addr, ulong Off, ulong Size)[shnum];
        for (var i = 0; i < shnum; i++)
        {
            var h = d.Slice((int)(shoff + (ulong)(i * shentsize)), 64);
            raw[i] = (BinaryPrimitives.ReadUInt32LittleEndian(h), BinaryPrimitives.ReadUInt32LittleEndian(h[4..]),
                BinaryPrimitives.ReadUInt64LittleEndian(h[0x10..]), BinaryPrimitives.ReadUInt64LittleEndian(h[0x18..]),
                BinaryPrimitives.ReadUInt64LittleEndian(h[0x20..]));
        }
        if (shstrndx >= shnum) throw Bad(0x3E, "section name table index out of range");
        var strtab = raw[shstrndx];
        for (var i = 0; i < shnum; i++)
        {
            var (nameOff, type, addr, off, size) = raw[i];
            var inFile = type == 8 /* NOBITS */ || (off <= (ulong)d.Length && off + size <= (ulong)d.Length);
            if (!inFile) throw Bad((long)(shoff + (ulong)(i * shentsize)), $"section {i} (offset {off}, size {size}) lies outside the file");
            _sections.Add(new ElfSection(ReadName(d, strtab.Off, strtab.Size, nameOff), type, addr, off, type == 8 ? 0 : size));
        }
    }

    private static string ReadName(ReadOnlySpan<byte> d, ulong tabOff, ulong tabSize, uint nameOff)
    {
        if (nameOff >= tabSize) return "";
        var s = d.Slice((int)(tabOff + nameOff), (int)(tabSize - nameOff));
        var end = s.IndexOf((byte)0);
        return Encoding.ASCII.GetString(end < 0 ? s : s[..end]);
    }

    private InvalidDataException Bad(long offset, string reason) => new($"{Path}: byte offset {offset}: {reason}");
}

public sealed record ElfSection(string Name, uint Type, ulong Address, ulong FileOffset, ulong Size);
