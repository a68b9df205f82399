namespace Alkanet.Introspection.Memory;

/// <summary>How many levels the x86-64 page walk has: CR4.LA57 selects 5-level paging.</summary>
public enum PagingMode
{
    FourLevel = 4,
    FiveLevel = 5,
}

public static class PagingModes
{
    private const ulong Cr4La57 = 1UL << 12;

    public static PagingMode FromCr4(ulong cr4) => (cr4 & Cr4La57) != 0 ? PagingMode.FiveLevel : PagingMode.FourLevel;
}
