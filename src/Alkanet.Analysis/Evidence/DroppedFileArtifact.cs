using System.Security.Cryptography;
using Alkanet.Analysis.Model;

namespace Alkanet.Analysis.Evidence;

/// <summary>A dropped file as the report and <c>artifacts.json</c> give it: its names, hashes, type, what was captured
/// and what was not, the writer, and the content (kept for <see cref="ArtifactStore"/>).</summary>
public sealed record DroppedFileArtifact(
    IReadOnlyList<string> Paths, bool Deleted, long? DeletedNo, long Size, long Captured,
    string Sha256, string Sha1, string Md5, string? Type, string? MimeType,
    IReadOnlyList<CapturedRange> Ranges, IReadOnlyList<CaptureGap> Gaps,
    int WriterSeq, ulong WriterPid, string WriterName, ReadOnlyMemory<byte> Content)
{
    public bool Partial => Gaps.Count > 0;

    /// <summary>Where the content is under the run folder (content-addressed).</summary>
    public string ContentPath => "files/" + Sha256;

    /// <summary>The files written by processes <paramref name="keep"/> accepts (the sample's scope, or all), hashed and typed.</summary>
    // SHA-1 and MD5 identify files in the indicator feeds analysts match against (VirusTotal, MISP); not used for security.
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "file identifier, not security")]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5351", Justification = "file identifier, not security")]
    public static IReadOnlyList<DroppedFileArtifact> From(Analyzer a, Func<int, bool> keep) =>
    [
        .. a.DroppedFiles.Files.Where(f => f.Ranges.Any(r => keep(r.WriterSeq)) || keep(f.WriterSeq)).Select(f =>
        {
            var content = f.Content(a.DroppedFiles.Limits.MaxFileBytes);
            var writer = a.Node(f.WriterSeq);
            var gaps = f.Gaps.ToList();
            if (content.Length < f.Length) gaps.Add(new CaptureGap(content.Length, f.Length - content.Length, "beyond the per-file cap", []));
            return new DroppedFileArtifact([.. f.Paths], f.Deleted, f.DeletedNo, f.Length, f.CapturedBytes,
                Convert.ToHexStringLower(SHA256.HashData(content)), Convert.ToHexStringLower(SHA1.HashData(content)),
                Convert.ToHexStringLower(MD5.HashData(content)), LibMagic.Describe(content), LibMagic.MimeType(content),
                [.. f.Ranges], gaps, writer.Seq, writer.Pid, writer.Name, content);
        }),
    ];
}
