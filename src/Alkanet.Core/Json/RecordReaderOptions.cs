namespace Alkanet.Core.Json;

public sealed record RecordReaderOptions
{
    /// <summary>Count and skip malformed records instead of stopping at the first one.</summary>
    public bool SkipBad { get; init; }

    /// <summary>Called for each record skipped under <see cref="SkipBad"/>.</summary>
    public Action<LogFormatError>? OnSkipped { get; init; }

    /// <summary>A record larger than this is malformed (a guard against a file with no record boundaries).</summary>
    public int MaxRecordBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Off: every record goes through the general JSON reader (tests prove both paths read alike).</summary>
    internal bool FlatPath { get; init; } = true;

    public static RecordReaderOptions Default { get; } = new();
}
