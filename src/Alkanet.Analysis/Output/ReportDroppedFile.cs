using Alkanet.Analysis.Evidence;

namespace Alkanet.Analysis.Output;

/// <summary>A dropped file in the report (JSON "dropped_files"): the fields of artifacts.json less the byte ranges,
/// with the records that prove it.</summary>
public sealed class ReportDroppedFile
{
    public string Path { get; set; } = "";

    public List<string> Paths { get; set; } = [];

    public bool Deleted { get; set; }

    public long Size { get; set; }

    public long Captured { get; set; }

    public string Sha256 { get; set; } = "";

    public string Sha1 { get; set; } = "";

    public string Md5 { get; set; } = "";

    public string? Type { get; set; }

    public bool Partial { get; set; }

    /// <summary>The reasons of the gaps, each once.</summary>
    public List<string> PartialReasons { get; set; } = [];

    /// <summary>Where the content is, relative to the run folder (<c>files/SHA256</c>).</summary>
    public string Content { get; set; } = "";

    public int WriterSeq { get; set; }

    /// <summary>The write, rename and unlink records behind the entry, in order.</summary>
    public List<long> Records { get; set; } = [];

    public static ReportDroppedFile From(DroppedFileArtifact a) => new()
    {
        Path = a.Paths[^1], Paths = [.. a.Paths], Deleted = a.Deleted, Size = a.Size, Captured = a.Captured, Sha256 = a.Sha256,
        Sha1 = a.Sha1, Md5 = a.Md5, Type = a.Type, Partial = a.Partial, PartialReasons = [.. a.Gaps.Select(g => g.Reason).Distinct()],
        Content = a.ContentPath, WriterSeq = a.WriterSeq,
        Records = [.. a.Ranges.SelectMany(r => r.Records).Concat(a.Gaps.SelectMany(g => g.Records))
            .Concat(a.DeletedNo is { } n ? [n] : []).Distinct().Order()],
    };
}

/// <summary>An injected region in the report (JSON "injected_memory"): who wrote how much where, and its hash.</summary>
public sealed class ReportInjectedMemory
{
    public int SourceSeq { get; set; }

    /// <summary>Hex, as the log writes pids and addresses.</summary>
    public string TargetPid { get; set; } = "";

    public string Address { get; set; } = "";

    public long Size { get; set; }

    /// <summary>The target's protection of the address at the first write and as the last call left it (null: unknown).</summary>
    public string? ProtectAtWrite { get; set; }

    public string? ProtectLast { get; set; }

    public string Sha256 { get; set; } = "";

    public List<string> Techniques { get; set; } = [];

    public bool Partial { get; set; }

    public List<string> PartialReasons { get; set; } = [];

    /// <summary>Where the content is, relative to the run folder (<c>memory/SHA256</c>).</summary>
    public string Content { get; set; } = "";

    public List<long> Records { get; set; } = [];

    public static ReportInjectedMemory From(InjectedMemoryArtifact a) => new()
    {
        SourceSeq = a.SourceSeq, TargetPid = a.TargetPid.ToString("x"), Address = a.Address.ToString("x"), Size = a.Size, Sha256 = a.Sha256,
        Techniques = [.. a.Techniques], Partial = a.Partial, PartialReasons = [.. a.Gaps], Content = a.ContentPath, Records = [.. a.Records],
        ProtectAtWrite = a.ProtectAtWrite, ProtectLast = a.ProtectLast,
    };
}
