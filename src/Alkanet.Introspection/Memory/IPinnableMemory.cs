namespace Alkanet.Introspection.Memory;

/// <summary>A virtual memory that can say where a range lives physically and read there later without a page walk.
/// For memory the caller knows cannot move in between: a task's pt_regs from its syscall ENTER to its EXIT (the
/// task is inside the call, so its kernel stack is neither freed nor remapped).</summary>
public interface IPinnableMemory : IVirtualMemory
{
    /// <summary>The physical address of <paramref name="virtualAddress"/> when the <paramref name="length"/> bytes from
    /// it lie in one mapped page of the current address space; false otherwise (then read it virtually).</summary>
    bool TryPin(ulong virtualAddress, int length, out ulong physicalAddress);

    /// <summary>Reads at a physical address <see cref="TryPin"/> gave (or an offset into its range); false when not backed.</summary>
    bool TryReadPinned(ulong physicalAddress, Span<byte> destination);
}
