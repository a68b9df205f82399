using Alkanet.Introspection.Memory;

namespace Alkanet.Vmm.QemuPlugin;

/// <summary>The hitting vCPU's guest-virtual memory through <c>qemu_plugin_read_memory_vaddr</c> (page tables of
/// that vCPU, no faults taken: an unmapped page is a failed read). Only valid on a vCPU thread inside a callback.
/// Reads are split at page boundaries so a range running into an unmapped page still yields its first part.</summary>
internal sealed unsafe class QemuGuestMemory : IVirtualMemory
{
    private const ulong PageSize = 4096;
    private readonly GByteArray* _buffer = (GByteArray*)QemuApi.GByteArrayNew();

    public int Read(ulong virtualAddress, Span<byte> destination)
    {
        var done = 0;
        while (done < destination.Length)
        {
            var va = virtualAddress + (ulong)done;
            if (va < virtualAddress) break; // wrapped past the top of the address space
            var n = (int)Math.Min(PageSize - (va & (PageSize - 1)), (ulong)(destination.Length - done));
            if (QemuApi.ReadMemoryVaddr(va, _buffer, (nuint)n) == 0 || _buffer->Len < n) break;
            new ReadOnlySpan<byte>(_buffer->Data, n).CopyTo(destination[done..]);
            done += n;
        }
        return done;
    }
}
