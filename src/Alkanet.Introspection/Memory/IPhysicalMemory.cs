namespace Alkanet.Introspection.Memory;

/// <summary>Guest-physical memory: a QEMU shared RAM file, a raw memory image, gdbstub reads, or a
/// synthetic image in tests. Guest memory is hostile input: failure is a return value, never an exception.</summary>
public interface IPhysicalMemory
{
    /// <summary>Bytes of physical address space this source covers (reads past it fail).</summary>
    ulong Size { get; }

    /// <summary>Reads exactly <paramref name="destination"/>.Length bytes at <paramref name="physicalAddress"/>;
    /// false (and nothing promised about <paramref name="destination"/>) when any byte is not backed.</summary>
    bool TryRead(ulong physicalAddress, Span<byte> destination);

    /// <summary>One little-endian 64-bit value (a page-table entry): sources that can read it without a copy override this.</summary>
    bool TryReadU64(ulong physicalAddress, out ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        var ok = TryRead(physicalAddress, b);
        value = ok ? System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(b) : 0;
        return ok;
    }
}
