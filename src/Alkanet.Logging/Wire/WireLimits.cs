namespace Alkanet.Logging.Wire;

/// <summary>Bounds every length the peer controls, so a hostile or broken peer cannot make us allocate much.</summary>
public static class WireLimits
{
    /// <summary>Frame header: a 4-byte little-endian length of what follows (type byte + body).</summary>
    public const int HeaderBytes = 4;

    /// <summary>Default cap on one frame (type + body) as sent.</summary>
    public const int DefaultMaxFrameBytes = 8 * 1024 * 1024;

    /// <summary>Cap on a batch after decompression (the client seals batches at 1 MiB plus one record).</summary>
    public const int MaxBatchBytes = 32 * 1024 * 1024;

    /// <summary>Cap on records in one batch.</summary>
    public const int MaxBatchRecords = 1 << 20;

    /// <summary>Cap on one string on the wire (a path in additional_info may be long; not this long).</summary>
    public const int MaxStringBytes = 1 << 20;

    /// <summary>Cap on entries in a record's additional_info / args / extra fields.</summary>
    public const int MaxListEntries = 4096;

    /// <summary>The highest record number a run may hold: the store keys a row as <c>run &lt;&lt; 40 | no</c>, so numbers
    /// (and the last number a LOSS marker covers) are 0..2^40-1 — 12 days at a million records a second.</summary>
    public const long MaxRecordNo = (1L << 40) - 1;

    public const int ProtocolVersion = 1;

    /// <summary>"ALKW" in the hello frame.</summary>
    public const uint Magic = 0x574B4C41;
}
