using System.Buffers.Binary;

namespace Alkanet.Introspection.TestKit.Boot;

/// <summary>Writes a minimal PE32+ UEFI application: one read/write/execute section holding position-independent
/// code and data, no relocations (so the firmware may load it anywhere), subsystem EFI_APPLICATION (10).
/// Layout facts from the PE/COFF specification (Microsoft, "PE Format").</summary>
public static class EfiPeWriter
{
    public const ushort MachineAmd64 = 0x8664;
    public const ushort SubsystemEfiApplication = 10;
    private const int FileAlignment = 0x200, SectionAlignment = 0x1000, HeadersSize = 0x200;
    private const int PeOffset = 0x40, OptionalHeaderSize = 0xF0;

    /// <summary>The image bytes for <paramref name="section"/>, loaded at RVA 0x1000, entry at
    /// <paramref name="entryOffset"/> bytes into it.</summary>
    public static byte[] Write(ReadOnlySpan<byte> section, int entryOffset)
    {
        if (entryOffset < 0 || entryOffset >= section.Length) throw new ArgumentOutOfRangeException(nameof(entryOffset));
        var raw = Align(section.Length, FileAlignment);
        var image = new byte[HeadersSize + raw];
        var s = image.AsSpan();
        s[0] = (byte)'M';
        s[1] = (byte)'Z';
        BinaryPrimitives.WriteInt32LittleEndian(s[0x3C..], PeOffset);
        "PE\0\0"u8.CopyTo(s[PeOffset..]);
        var coff = s[(PeOffset + 4)..];
        BinaryPrimitives.WriteUInt16LittleEndian(coff, MachineAmd64);
        BinaryPrimitives.WriteUInt16LittleEndian(coff[2..], 1); // sections
        BinaryPrimitives.WriteUInt16LittleEndian(coff[16..], OptionalHeaderSize);
        BinaryPrimitives.WriteUInt16LittleEndian(coff[18..], 0x0022); // executable, large address aware (relocs not stripped)
        var opt = s[(PeOffset + 24)..];
        BinaryPrimitives.WriteUInt16LittleEndian(opt, 0x20B); // PE32+
        BinaryPrimitives.WriteUInt32LittleEndian(opt[4..], (uint)raw); // SizeOfCode
        BinaryPrimitives.WriteUInt32LittleEndian(opt[16..], (uint)(SectionAlignment + entryOffset));
        BinaryPrimitives.WriteUInt32LittleEndian(opt[20..], SectionAlignment); // BaseOfCode
        BinaryPrimitives.WriteUInt64LittleEndian(opt[24..], 0x40_0000); // ImageBase (any: the code is position independent)
        BinaryPrimitives.WriteUInt32LittleEndian(opt[32..], SectionAlignment);
        BinaryPrimitives.WriteUInt32LittleEndian(opt[36..], FileAlignment);
        BinaryPrimitives.WriteUInt16LittleEndian(opt[48..], 1); // subsystem version
        BinaryPrimitives.WriteUInt32LittleEndian(opt[56..], (uint)(SectionAlignment + Align(section.Length, SectionAlignment)));
        BinaryPrimitives.WriteUInt32LittleEndian(opt[60..], HeadersSize);
        BinaryPrimitives.WriteUInt16LittleEndian(opt[68..], SubsystemEfiApplication);
        BinaryPrimitives.WriteUInt64LittleEndian(opt[72..], 0x10000); // stack reserve/commit, heap reserve/commit
        BinaryPrimitives.WriteUInt64LittleEndian(opt[80..], 0x10000);
        BinaryPrimitives.WriteUInt64LittleEndian(opt[88..], 0x10000);
        BinaryPrimitives.WriteUInt64LittleEndian(opt[96..], 0x10000);
        BinaryPrimitives.WriteUInt32LittleEndian(opt[108..], 16); // data directories (all empty)
        var sh = s[(PeOffset + 24 + OptionalHeaderSize)..];
        ".text\0\0\0"u8.CopyTo(sh);
        BinaryPrimitives.WriteUInt32LittleEndian(sh[8..], (uint)section.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(sh[12..], SectionAlignment);
        BinaryPrimitives.WriteUInt32LittleEndian(sh[16..], (uint)raw);
        BinaryPrimitives.WriteUInt32LittleEndian(sh[20..], HeadersSize);
        BinaryPrimitives.WriteUInt32LittleEndian(sh[36..], 0xE000_0020); // code, execute, read, write
        section.CopyTo(s[HeadersSize..]);
        return image;
    }

    private static int Align(int n, int a) => (n + a - 1) / a * a;
}
