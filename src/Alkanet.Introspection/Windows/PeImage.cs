using System.Text;
using Alkanet.Introspection.Memory;

namespace Alkanet.Introspection.Windows;

/// <summary>The CodeView record of a PE image's debug directory: which PDB (and so which ISF) describes it.</summary>
public sealed record CodeViewInfo(string PdbName, string Guid, int Age)
{
    public string Key => $"{Guid}{Age}";
}

/// <summary>Minimal, bounded reading of a PE image mapped in guest memory: headers, the CodeView RSDS record,
/// the file version from the version resource. The PE layout is the published file format (not a symbol table).</summary>
public static class PeImage
{
    private const int MaxHeader = 4096;

    /// <summary>True when a page starts with an MZ header whose e_lfanew leads to a "PE\0\0" signature of an x64 image.</summary>
    public static bool LooksLikePe64(IVirtualMemory m, ulong imageBase)
    {
        Span<byte> h = stackalloc byte[0x40];
        if (m.Read(imageBase, h) != h.Length || h[0] != (byte)'M' || h[1] != (byte)'Z') return false;
        var lfanew = BitConverter.ToUInt32(h[0x3C..]);
        if (lfanew is < 0x40 or > MaxHeader - 0x108) return false;
        Span<byte> nt = stackalloc byte[6];
        if (m.Read(imageBase + lfanew, nt) != 6) return false;
        return nt[0] == 'P' && nt[1] == 'E' && nt[2] == 0 && nt[3] == 0 && BitConverter.ToUInt16(nt[4..]) == 0x8664;
    }

    /// <summary>Reads data directory <paramref name="index"/> (RVA, size) of a PE32+ image.</summary>
    public static bool TryGetDataDirectory(IVirtualMemory m, ulong imageBase, int index, out uint rva, out uint size)
    {
        rva = size = 0;
        if (!m.TryReadU32(imageBase + 0x3C, out var lfanew) || lfanew > MaxHeader) return false;
        var optional = imageBase + lfanew + 24;
        if (!m.TryReadU16(optional, out var magic) || magic != 0x20B) return false;
        if (!m.TryReadU32(optional + 108, out var count) || index >= Math.Min(count, 16u)) return false;
        var dir = optional + 112 + ((ulong)index * 8);
        return m.TryReadU32(dir, out rva) && m.TryReadU32(dir + 4, out size);
    }

    public static bool TryGetSizeOfImage(IVirtualMemory m, ulong imageBase, out uint sizeOfImage)
    {
        sizeOfImage = 0;
        return m.TryReadU32(imageBase + 0x3C, out var lfanew) && lfanew <= MaxHeader && m.TryReadU32(imageBase + lfanew + 24 + 56, out sizeOfImage);
    }

    /// <summary>The RSDS record of the debug directory (entry type 2, CodeView).</summary>
    public static CodeViewInfo? ReadCodeView(IVirtualMemory m, ulong imageBase)
    {
        if (!TryGetDataDirectory(m, imageBase, 6, out var rva, out var size) || rva == 0) return null;
        var entries = Math.Min(size / 28, 32u);
        for (uint i = 0; i < entries; i++)
        {
            var e = imageBase + rva + (i * 28);
            if (!m.TryReadU32(e + 12, out var type) || type != 2) continue;
            if (!m.TryReadU32(e + 20, out var dataRva)) continue;
            Span<byte> rec = stackalloc byte[24 + 260];
            var got = m.Read(imageBase + dataRva, rec);
            if (got < 25 || rec[0] != 'R' || rec[1] != 'S' || rec[2] != 'D' || rec[3] != 'S') continue;
            var guid = new Guid(rec.Slice(4, 16));
            var age = BitConverter.ToInt32(rec[20..]);
            var nameBytes = rec[24..got];
            var nul = nameBytes.IndexOf((byte)0);
            var name = Encoding.UTF8.GetString(nul >= 0 ? nameBytes[..nul] : nameBytes);
            return new CodeViewInfo(name, guid.ToString("N").ToUpperInvariant(), age);
        }
        return null;
    }

    /// <summary>The file version (major.minor.build.revision) from VS_FIXEDFILEINFO in the resource section,
    /// found by its signature within the (capped) resource directory.</summary>
    public static Version? ReadFileVersion(IVirtualMemory m, ulong imageBase, int maxScanBytes = 4 << 20)
    {
        if (!TryGetDataDirectory(m, imageBase, 2, out var rva, out var size) || rva == 0 || size == 0) return null;
        var length = (int)Math.Min(size, (uint)maxScanBytes);
        var buf = new byte[length];
        var got = m.Read(imageBase + rva, buf);
        ReadOnlySpan<byte> sig = [0xBD, 0x04, 0xEF, 0xFE];
        var at = buf.AsSpan(0, got).IndexOf(sig);
        if (at < 0 || at + 16 > got) return null;
        var ms = BitConverter.ToUInt32(buf, at + 8);
        var ls = BitConverter.ToUInt32(buf, at + 12);
        return new Version((int)(ms >> 16), (int)(ms & 0xFFFF), (int)(ls >> 16), (int)(ls & 0xFFFF));
    }
}
