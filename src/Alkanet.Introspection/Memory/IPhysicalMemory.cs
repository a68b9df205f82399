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
}
