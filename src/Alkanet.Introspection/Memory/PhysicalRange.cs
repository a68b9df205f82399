namespace Alkanet.Introspection.Memory;

/// <summary>One run of guest-physical addresses stored contiguously at <see cref="FileOffset"/> of a file.
/// QEMU's memory-backend-file puts guest RAM at file offset = guest-physical address for guests up to
/// the PCI hole; larger x86 guests continue above 4 GiB at the file offset where low RAM ended.</summary>
public readonly record struct PhysicalRange(ulong GuestPhysical, ulong FileOffset, ulong Length)
{
    /// <summary>Finds the file offset of <paramref name="address"/> when <paramref name="length"/> bytes from it are in one range.</summary>
    public static bool TryMap(ReadOnlySpan<PhysicalRange> ranges, ulong address, ulong length, out ulong fileOffset)
    {
        foreach (var r in ranges)
        {
            if (address >= r.GuestPhysical && address - r.GuestPhysical < r.Length && length <= r.Length - (address - r.GuestPhysical))
            {
                fileOffset = r.FileOffset + (address - r.GuestPhysical);
                return true;
            }
        }
        fileOffset = 0;
        return false;
    }
}
