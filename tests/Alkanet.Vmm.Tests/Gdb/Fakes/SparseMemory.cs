using Alkanet.Introspection.Memory;

namespace Alkanet.Vmm.Tests.Gdb.Fakes;

/// <summary>Guest-virtual memory for tests: mapped 4 KiB pages, everything else unmapped.</summary>
internal sealed class SparseMemory : IVirtualMemory
{
    private readonly Dictionary<ulong, byte[]> _pages = [];

    public void Write(ulong address, ReadOnlySpan<byte> bytes)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            var a = address + (ulong)i;
            if (!_pages.TryGetValue(a & ~0xfffUL, out var page)) _pages[a & ~0xfffUL] = page = new byte[4096];
            page[a & 0xfff] = bytes[i];
        }
    }

    public void WriteUInt64(ulong address, ulong value) => Write(address, BitConverter.GetBytes(value));

    public int Read(ulong virtualAddress, Span<byte> destination)
    {
        for (var i = 0; i < destination.Length; i++)
        {
            var a = virtualAddress + (ulong)i;
            if (!_pages.TryGetValue(a & ~0xfffUL, out var page)) return i;
            destination[i] = page[a & 0xfff];
        }
        return destination.Length;
    }
}
