using System.Buffers.Binary;
using Alkanet.Introspection.Memory;

namespace Alkanet.Introspection.Windows;

/// <summary>Bounded readers of the Windows argument structures, with offsets from the build's symbol table. Two fields of
/// one structure are read in one guest read when they lie close together (a live hook pays per read, not per byte).</summary>
public static class WindowsStructReaders
{
    private const uint MaxPairSpan = 32;

    /// <summary>CLIENT_ID: UniqueProcess and UniqueThread.</summary>
    public static bool TryReadClientId(this IVirtualMemory m, WindowsProfile p, ulong address, out ulong pid, out ulong tid) =>
        m.TryReadU64Pair(address, p.CidProcess, p.CidThread, out pid, out tid);

    /// <summary>OBJECT_ATTRIBUTES: RootDirectory and the ObjectName string (capped); false when the structure
    /// itself is unreadable. A null ObjectName gives an empty name.</summary>
    public static bool TryReadObjectAttributes(this IVirtualMemory m, WindowsProfile p, ulong address, out ulong rootDirectory,
        out GuestString objectName, int maxBytes = GuestReader.DefaultMaxStringBytes)
    {
        objectName = default;
        if (!m.TryReadU64Pair(address, p.ObjAttrRootDirectory, p.ObjAttrObjectName, out rootDirectory, out var name)) return false;
        objectName = name == 0 ? new GuestString("", 0, false, 0) : m.ReadUnicodeString(name, p.UnicodeString, maxBytes);
        return true;
    }

    /// <summary>Two 64-bit fields at <paramref name="address"/> + <paramref name="offsetA"/> and + <paramref name="offsetB"/>:
    /// true only when both were read (<paramref name="a"/> keeps its value when only <paramref name="b"/> failed).</summary>
    public static bool TryReadU64Pair(this IVirtualMemory m, ulong address, uint offsetA, uint offsetB, out ulong a, out ulong b)
    {
        var lo = Math.Min(offsetA, offsetB);
        var span = Math.Max(offsetA, offsetB) + 8 - lo;
        if (span <= MaxPairSpan)
        {
            Span<byte> bytes = stackalloc byte[(int)span];
            if (m.Read(address + lo, bytes) == bytes.Length)
            {
                a = BinaryPrimitives.ReadUInt64LittleEndian(bytes[(int)(offsetA - lo)..]);
                b = BinaryPrimitives.ReadUInt64LittleEndian(bytes[(int)(offsetB - lo)..]);
                return true;
            }
        }
        // apart, or a page boundary with an unmapped side: field by field, so what is readable is still read
        b = 0;
        return m.TryReadU64(address + offsetA, out a) & m.TryReadU64(address + offsetB, out b);
    }
}
