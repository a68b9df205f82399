using System.Security.Cryptography;
using Alkanet.Analysis.Model;

namespace Alkanet.Analysis.Evidence;

/// <summary>An injected region as the report and <c>artifacts.json</c> give it, with its content for <see cref="ArtifactStore"/>.</summary>
public sealed record InjectedMemoryArtifact(
    int SourceSeq, string SourceName, ulong TargetPid, ulong Address, long Size, string Sha256,
    IReadOnlyList<string> Techniques, IReadOnlyList<long> Records, IReadOnlyList<string> Gaps, ReadOnlyMemory<byte> Content)
{
    /// <summary>The target's protection of the region's address at its first write, and as the last call left it (null:
    /// unknown; <see cref="InjectedRegion.ProtectAtWrite"/>).</summary>
    public string? ProtectAtWrite { get; init; }

    public string? ProtectLast { get; init; }

    public bool Partial => Gaps.Count > 0;

    public string ContentPath => "memory/" + Sha256;

    /// <summary>The regions written by processes <paramref name="keep"/> accepts.</summary>
    public static IReadOnlyList<InjectedMemoryArtifact> From(Analyzer a, Func<int, bool> keep) =>
    [
        .. a.InjectedMemory.Regions.Where(r => keep(r.SourceSeq)).Select(r =>
        {
            var content = r.Bytes.ToArray();
            return new InjectedMemoryArtifact(r.SourceSeq, a.Node(r.SourceSeq).Name, r.TargetPid, r.Address, r.Size,
                Convert.ToHexStringLower(SHA256.HashData(content)), [.. r.Techniques], [.. r.Records], [.. r.Gaps.Distinct()], content)
            {
                ProtectAtWrite = r.ProtectAtWrite, ProtectLast = r.ProtectLast,
            };
        }),
    ];
}
