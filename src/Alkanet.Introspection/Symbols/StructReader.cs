using Alkanet.Introspection.Memory;

namespace Alkanet.Introspection.Symbols;

/// <summary>Reads fields of guest structures by their symbol-table names (so the same code reads any build).</summary>
public static class StructReader
{
    /// <summary>Reads an integer or pointer field (bitfields are extracted) of the <paramref name="typeName"/> at <paramref
    /// name="address"/>.</summary>
    public static bool TryReadField(this IVirtualMemory memory, IsfFile isf, ulong address, string typeName, string fieldPath, out ulong value)
    {
        value = 0;
        if (!isf.TryGetField(typeName, fieldPath, out var loc)) return false;
        return memory.TryReadField(address, loc, out value);
    }

    public static bool TryReadField(this IVirtualMemory memory, ulong address, in FieldLocation loc, out ulong value)
    {
        value = 0;
        var size = loc.Size is 1 or 2 or 4 or 8 ? loc.Size : 0;
        if (size == 0) return false;
        if (!memory.TryReadUnsigned(address + loc.Offset, size, out var raw)) return false;
        if (loc.IsBitfield)
        {
            raw >>= loc.BitPosition;
            if (loc.BitLength < 64) raw &= (1UL << loc.BitLength) - 1;
        }
        value = raw;
        return true;
    }
}
