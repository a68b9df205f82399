using Alkanet.Introspection.Memory;
using Alkanet.Introspection.TestKit;

namespace Alkanet.Introspection.Tests.Memory;

/// <summary>Random and adversarial guest memory: garbage page tables, huge lengths, pointers anywhere.
/// Nothing may throw and no read may exceed its cap.</summary>
public class ReaderFuzzTests
{
    /// <summary>Counts every byte asked of the physical source, to prove reads stay bounded.</summary>
    private sealed class CountingPhysical(IPhysicalMemory inner) : IPhysicalMemory
    {
        public long BytesRequested;
        public ulong Size => inner.Size;

        public bool TryRead(ulong physicalAddress, Span<byte> destination)
        {
            BytesRequested += destination.Length;
            return inner.TryRead(physicalAddress, destination);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Garbage_page_tables_and_random_descriptors_never_throw_and_stay_bounded(int seed)
    {
        var rng = new Random(seed);
        var bytes = new byte[1 << 20];
        rng.NextBytes(bytes);
        // Make many entries "present" so walks go deep into garbage, including self-referencing tables.
        for (var i = 0; i < bytes.Length; i += 8) if (rng.Next(3) == 0) bytes[i] |= 1;
        var counting = new CountingPhysical(new ByteArrayPhysicalMemory(bytes));
        foreach (var mode in new[] { PagingMode.FourLevel, PagingMode.FiveLevel })
        {
            var vm = new PagedVirtualMemory(counting, (ulong)rng.Next(0, 256) << 12, mode);
            for (var i = 0; i < 2000; i++)
            {
                var va = (ulong)rng.NextInt64() ^ ((ulong)rng.Next() << 40);
                var before = counting.BytesRequested;
                _ = vm.ReadUnicodeString(va, new UnicodeStringLayout(0, 8, 16), maxBytes: 512);
                _ = vm.ReadAnsi(va, 64);
                _ = vm.TryReadU64(va, out _);
                // walk entries (5 x 8 bytes per page, a few pages) + descriptor + capped buffers
                (counting.BytesRequested - before).ShouldBeLessThan(16_384);
            }
        }
    }

    [Fact]
    public void A_cyclic_page_table_that_maps_itself_is_walked_in_bounded_steps()
    {
        var bytes = new byte[0x2000];
        // PML4 at 0x1000 whose every entry points back at itself (a recursive mapping gone everywhere).
        for (var i = 0; i < 512; i++) BitConverter.GetBytes(0x1000UL | 1).CopyTo(bytes, 0x1000 + (i * 8));
        var vm = new PagedVirtualMemory(new ByteArrayPhysicalMemory(bytes), 0x1000);
        var t = vm.Translate(0x1234_5678);
        t.Ok.ShouldBeTrue(); // the walk ends after four levels whatever the tables say
        t.PhysicalAddress.ShouldBe(0x1678UL);
    }
}
