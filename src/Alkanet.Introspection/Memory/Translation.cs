namespace Alkanet.Introspection.Memory;

/// <summary>Why a page walk stopped: a value, never an exception, because guest page tables are guest data.</summary>
public enum TranslationFailure : byte
{
    None = 0,
    /// <summary>The entry at <see cref="Translation.FailedLevel"/> has its present bit clear.</summary>
    NotPresent,
    /// <summary>The table at <see cref="Translation.FailedLevel"/> lies outside the physical source.</summary>
    TableUnreadable,
    /// <summary>The address is not canonical for the paging mode (bits above the top level differ).</summary>
    NonCanonical,
    /// <summary>A large-page bit where the architecture does not allow one (PML4/PML5), treated as reserved.</summary>
    ReservedBit,
}

/// <summary>Result of translating one virtual address: the physical address and page size, or where the walk failed.</summary>
public readonly record struct Translation(ulong PhysicalAddress, ulong PageSize, TranslationFailure Failure, int FailedLevel, ulong FailedEntry)
{
    public bool Ok => Failure == TranslationFailure.None;

    /// <summary>Bytes from the translated address to the end of its page.</summary>
    public ulong BytesLeftInPage => Ok ? PageSize - (PhysicalAddress & (PageSize - 1)) : 0;

    public static Translation Fail(TranslationFailure why, int level, ulong entry = 0) => new(0, 0, why, level, entry);

    /// <summary>Level names as the manuals use them (5 = PML5 ... 1 = PT).</summary>
    public static string LevelName(int level) => level switch
    {
        5 => "PML5",
        4 => "PML4",
        3 => "PDPT",
        2 => "PD",
        1 => "PT",
        _ => "CR3",
    };

    public override string ToString() => Ok
        ? $"phys {PhysicalAddress:x} (page {PageSize:x})"
        : $"{Failure} at {LevelName(FailedLevel)} (entry {FailedEntry:x})";
}
