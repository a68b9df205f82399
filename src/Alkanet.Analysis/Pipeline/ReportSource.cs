using Alkanet.Analysis.Importers;

namespace Alkanet.Analysis.Pipeline;

/// <summary>What a report is made from: the log files of one run (or one stream of Alkanet JSON Lines), their
/// format, and the log whose <c>LOG.meta.json</c> sidecar may name the sample.</summary>
public sealed class ReportSource
{
    private ReportSource(IReadOnlyList<string> names, Func<Stream>? open, InputFormat format, bool skipBad, string? sidecarOf)
    {
        Names = names;
        OpenStream = open;
        Format = format;
        SkipBad = skipBad;
        SidecarOf = sidecarOf;
    }

    /// <summary>The files read in order into one analysis ("-" is standard input), or the stream's one name.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Opens the stream to read instead of files; null for files.</summary>
    public Func<Stream>? OpenStream { get; }

    public InputFormat Format { get; }

    /// <summary>Count and skip malformed records instead of stopping.</summary>
    public bool SkipBad { get; }

    /// <summary>The log whose sidecar is consulted when no sample is given; null: none.</summary>
    public string? SidecarOf { get; }

    /// <summary>Log files (any supported format, or <see cref="InputFormat.Auto"/>); the first one's sidecar counts.</summary>
    public static ReportSource FromFiles(IReadOnlyList<string> paths, InputFormat format = InputFormat.Auto, bool skipBad = false)
    {
        if (paths.Count == 0) throw new ArgumentException("at least one log file is needed", nameof(paths));
        return new ReportSource([.. paths], null, format, skipBad, paths[0]);
    }

    /// <summary>Alkanet JSON Lines from <paramref name="open"/> (a logger's stored records), named
    /// <paramref name="name"/> in errors; <paramref name="sidecarOf"/> is the file they are kept in, if any.</summary>
    public static ReportSource FromStream(Func<Stream> open, string name, string? sidecarOf = null) =>
        new([name], open, InputFormat.Alkanet, false, sidecarOf);
}
