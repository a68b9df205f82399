namespace Alkanet.Analysis.Evidence;

/// <summary>Bytes of a dropped file the trace carried: where they sit in the file, who wrote them, and the records
/// (ENTER, EXIT) that prove them.</summary>
public sealed record CapturedRange(long Offset, long Length, int WriterSeq, IReadOnlyList<long> Records);

/// <summary>Bytes that reached the file without reaching the host, and why (docs/EVIDENCE.md lists the reasons).</summary>
public sealed record CaptureGap(long Offset, long Length, string Reason, IReadOnlyList<long> Records);

/// <summary>
/// One file the traced processes wrote, rebuilt from the <c>data</c> of their writes: every path it had (renames
/// and links followed), whether it was deleted, the captured ranges and the gaps. The content is the file as the
/// writes left it, zeros where nothing was captured (a gap says so, and the file is <see cref="Partial"/>).
/// </summary>
public sealed class DroppedFile
{
    private byte[] _content = [];

    public List<string> Paths { get; } = [];

    public bool Deleted { get; set; }

    /// <summary>The record of the unlink that deleted the file.</summary>
    public long? DeletedNo { get; set; }

    /// <summary>The process (analyzer seq) of the first write.</summary>
    public required int WriterSeq { get; init; }

    public List<CapturedRange> Ranges { get; } = [];

    public List<CaptureGap> Gaps { get; } = [];

    /// <summary>The file's length as the writes left it (captured or not).</summary>
    public long Length { get; private set; }

    /// <summary>Bytes captured so far (what the per-file cap counts).</summary>
    public long CapturedBytes { get; private set; }

    public bool Partial => Gaps.Count > 0;

    /// <summary>The bytes as the writes left them (zeros in gaps), as long as the file up to <paramref name="limit"/>
    /// (a sparse write far into a file must not make the host allocate its whole length).</summary>
    public byte[] Content(long limit)
    {
        {
            var bytes = new byte[Math.Min(Length, limit)];
            _content.AsSpan(0, (int)Math.Min(bytes.Length, _content.Length)).CopyTo(bytes);
            return bytes;
        }
    }

    /// <summary>The path the file has now (its last name).</summary>
    public string Path => Paths[^1];

    /// <summary>Extends the file to <paramref name="end"/> (a write whose bytes were not all captured still moves it).</summary>
    internal void Extend(long end) => Length = Math.Max(Length, end);

    internal void Put(long offset, ReadOnlySpan<byte> bytes)
    {
        var end = offset + bytes.Length;
        if (end > _content.Length) Array.Resize(ref _content, (int)Math.Max(end, Math.Min(2L * _content.Length, int.MaxValue)));
        bytes.CopyTo(_content.AsSpan((int)offset));
        CapturedBytes += bytes.Length;
        Extend(end);
    }
}
