using System.CommandLine;
using System.Globalization;
using Alkanet.Analysis.Evidence;

namespace Alkanet.Cli.Commands;

/// <summary>The dropped-file capture's caps as options (docs/EVIDENCE.md): <c>--capture-per-call</c> (the hook's read of
/// one write; <c>alkanet run</c> only), <c>--capture-per-file</c> and <c>--capture-per-run</c> (what the report keeps).
/// Sizes in bytes, or with a K, M or G suffix (binary: 64M = 64 MiB).</summary>
internal sealed class CaptureCapOptions
{
    public Option<string> PerCall { get; } = new("--capture-per-call")
    {
        Description = "Bytes of one write the hook reads (default 1M, at most 4M); more is a gap in the file. Also bounds the " +
            "process_vm_writev and /proc/PID/mem writes kept.", HelpName = "SIZE", DefaultValueFactory = _ => "1M",
    };

    public Option<string> PerFile { get; } = new("--capture-per-file")
    {
        Description = "Bytes kept of one dropped file (default 64M); beyond it the file is partial (\"per-file cap reached\").",
        HelpName = "SIZE", DefaultValueFactory = _ => "64M",
    };

    public Option<string> PerRun { get; } = new("--capture-per-run")
    {
        Description = "Bytes kept of all dropped files of the run (default 1G); beyond it files are partial (\"per-run cap reached\").",
        HelpName = "SIZE", DefaultValueFactory = _ => "1G",
    };

    /// <summary>The per-call cap in bytes (1 to 4 MiB: a record stays within a quarter of the ring and the logger's frame).</summary>
    public int CallBytes(ParseResult parse)
    {
        var n = Size(parse.GetValue(PerCall)!, PerCall.Name);
        return n is >= 1 and <= 4L << 20 ? (int)n : throw new UsageException($"{PerCall.Name} must be between 1 and 4M bytes, not {n}");
    }

    public DroppedFileLimits Limits(ParseResult parse) => new()
    {
        MaxFileBytes = Size(parse.GetValue(PerFile)!, PerFile.Name), MaxRunBytes = Size(parse.GetValue(PerRun)!, PerRun.Name),
    };

    /// <summary>"4096", "64K", "64M", "1G" (binary multiples).</summary>
    internal static long Size(string text, string option)
    {
        var t = text.Trim();
        var shift = t.Length > 0 ? char.ToUpperInvariant(t[^1]) switch { 'K' => 10, 'M' => 20, 'G' => 30, _ => 0 } : 0;
        if (shift > 0) t = t[..^1];
        if (!long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1 || n > long.MaxValue >> shift)
            throw new UsageException($"{option} '{text}' is not a size (bytes, or a number with K, M or G: 64M)");
        return n << shift;
    }
}
