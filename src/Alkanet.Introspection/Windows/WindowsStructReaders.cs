using Alkanet.Introspection.Memory;

namespace Alkanet.Introspection.Windows;

/// <summary>Bounded readers of the Windows argument structures, with offsets from the build's symbol table.</summary>
public static class WindowsStructReaders
{
    /// <summary>CLIENT_ID: UniqueProcess and UniqueThread.</summary>
    public static bool TryReadClientId(this IVirtualMemory m, WindowsProfile p, ulong address, out ulong pid, out ulong tid)
    {
        tid = 0;
        return m.TryReadU64(address + p.CidProcess, out pid) & m.TryReadU64(address + p.CidThread, out tid);
    }

    /// <summary>OBJECT_ATTRIBUTES: RootDirectory and the ObjectName string (capped); false when the structure
    /// itself is unreadable. A null ObjectName gives an empty name.</summary>
    public static bool TryReadObjectAttributes(this IVirtualMemory m, WindowsProfile p, ulong address, out ulong rootDirectory,
        out GuestString objectName, int maxBytes = GuestReader.DefaultMaxStringBytes)
    {
        objectName = default;
        if (!m.TryReadU64(address + p.ObjAttrRootDirectory, out rootDirectory) || !m.TryReadU64(address + p.ObjAttrObjectName,
            out var name)) return false;
        objectName = name == 0 ? new GuestString("", 0, false, 0) : m.ReadUnicodeString(name, p.UnicodeString, maxBytes);
        return true;
    }
}
