namespace Alkanet.Introspection.Memory;

/// <summary>Guest-virtual memory of one address space (one CR3, or "the hitting vCPU's" for live hooks
/// that read through QEMU). Partial reads are normal: a string may run into an unmapped page.</summary>
public interface IVirtualMemory
{
    /// <summary>Reads up to <paramref name="destination"/>.Length bytes at <paramref name="virtualAddress"/> and
    /// returns how many leading bytes were read (0 when the first page is not mapped). Never throws for guest data.</summary>
    int Read(ulong virtualAddress, Span<byte> destination);
}

public static class VirtualMemoryExtensions
{
    /// <summary>True only when every byte was read.</summary>
    public static bool TryRead(this IVirtualMemory memory, ulong virtualAddress, Span<byte> destination) =>
        memory.Read(virtualAddress, destination) == destination.Length;
}
