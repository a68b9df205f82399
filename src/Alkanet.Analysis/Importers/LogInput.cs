using Alkanet.Analysis.Events;
using Alkanet.Analysis.Model;
using Alkanet.Core.Json;
using Alkanet.Core.Records;

namespace Alkanet.Analysis.Importers;

/// <summary>Input formats the report tool reads.</summary>
public enum InputFormat { Auto, Alkanet, Drakvuf, Cape }

/// <summary>Reads one input file (any supported format) into an analyzer, reporting progress.</summary>
public static class LogInput
{
    public sealed class Result
    {
        public InputFormat Format { get; set; }

        public long Records { get; set; }

        public long Skipped { get; set; }

        public List<string> SkippedErrors { get; } = [];

        /// <summary>The sample the input names itself (CAPE's analysed process), if any.</summary>
        public string? SuggestedSample { get; set; }
    }

    /// <summary>Looks at the first bytes (after gzip) to tell an Alkanet log, DRAKVUF JSON lines and a CAPE report apart.</summary>
    public static InputFormat Detect(string path)
    {
        using var s = LogStreams.OpenRead(path);
        var buf = new byte[64 * 1024];
        var n = 0;
        try
        {
            int r;
            while (n < buf.Length && (r = s.Read(buf, n, buf.Length - n)) > 0) n += r;
        }
        catch (InvalidDataException)
        {
            // a damaged gzip stream: let the reader give the precise error
        }
        var head = System.Text.Encoding.UTF8.GetString(buf, 0, n);
        if (head.Contains("\"Plugin\"", StringComparison.Ordinal)) return InputFormat.Drakvuf;
        if (head.Contains("\"logtype\"", StringComparison.Ordinal) || head.Contains("\"proc_pid\"", StringComparison.Ordinal))
            return InputFormat.Alkanet;
        if (head.Contains("\"behavior\"", StringComparison.Ordinal)
            || head.Contains("\"info\"", StringComparison.Ordinal) && head.Contains("\"target\"", StringComparison.Ordinal)
            || head.Contains("\"CAPE\"", StringComparison.Ordinal) || head.Contains("\"statistics\"", StringComparison.Ordinal))
            return InputFormat.Cape;
        return InputFormat.Alkanet; // let the Alkanet reader name what is wrong
    }

    /// <summary>Reads <paramref name="path"/> into <paramref name="sink"/>. <paramref name="progress"/> gets the
    /// fraction of the (compressed) file consumed; <paramref name="cancellationToken"/> is checked as records are read.</summary>
    public static Result Read(string path, InputFormat format, Analyzer sink, bool skipBad = false, Action<double>? progress = null,
        CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // Standard input cannot be read twice: without --from it is taken as an Alkanet log.
        if (format == InputFormat.Auto) format = path == "-" ? InputFormat.Alkanet : Directory.Exists(path) ? InputFormat.Drakvuf : Detect(path);
        var result = format switch
        {
            InputFormat.Alkanet => ReadAlkanet(path, sink, skipBad, progress, cancellationToken),
            InputFormat.Drakvuf => DrakvufImporter.Read(path, sink, skipBad, CancellingProgress(progress, cancellationToken)),
            InputFormat.Cape => CapeImporter.Read(path, sink, skipBad),
            _ => throw new ArgumentOutOfRangeException(nameof(format)),
        };
        // an empty capture (or a .gz of blank lines) is not a clean run with nothing to report: say so
        if (result.Records == 0)
            throw new LogFormatException(new LogFormatError(path, 0, 0, result.Skipped > 0
                ? $"no records left: all {result.Skipped} were skipped as bad ({result.SkippedErrors.FirstOrDefault()})"
                : $"no records: the {format} input is empty or holds only blank lines"));
        return result;
    }

    /// <summary>Reads an Alkanet JSON Lines stream (e.g. a logger's stored records) into <paramref name="sink"/>;
    /// <paramref name="name"/> names it in errors. The stream is disposed.</summary>
    /// <summary>Several DRAKVUF files (or folders) of one run, read as one log: their lines are merged by TimeStamp.</summary>
    public static Result ReadDrakvuf(IReadOnlyList<string> paths, Analyzer sink, bool skipBad = false, Action<double>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var result = DrakvufImporter.Read(paths, sink, skipBad, CancellingProgress(progress, cancellationToken));
        if (result.Records == 0)
            throw new LogFormatException(new LogFormatError(string.Join(", ", paths), 0, 0, "no records in the DRAKVUF input"));
        return result;
    }

    /// <summary>Whether the inputs are DRAKVUF output to be merged by time (a folder counts as DRAKVUF's).</summary>
    public static bool AreDrakvuf(IReadOnlyList<string> paths, InputFormat format) =>
        format == InputFormat.Drakvuf
            || format == InputFormat.Auto && paths.All(p => p != "-" && (Directory.Exists(p) || Detect(p) == InputFormat.Drakvuf));

    public static Result Read(Stream stream, string name, Analyzer sink, bool skipBad = false, CancellationToken cancellationToken = default) =>
        ReadAlkanet(stream, null, name, sink, skipBad, null, cancellationToken);

    /// <summary>The importers report progress as they read: that is where a cancellation is noticed too.</summary>
    private static Action<double>? CancellingProgress(Action<double>? progress, CancellationToken cancellationToken) =>
        !cancellationToken.CanBeCanceled ? progress : f =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            progress?.Invoke(f);
        };

    /// <summary>Opens <paramref name="path"/> ("-" for standard input), gzip detected from the content;
    /// <paramref name="file"/> is the underlying file (null for standard input) for progress. A file that cannot be
    /// opened is a <see cref="LogFormatException"/> naming it.</summary>
    internal static Stream Open(string path, out FileStream? file)
    {
        file = null;
        try
        {
            if (path == "-") return LogStreams.OpenRead(path);
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, FileOptions.SequentialScan);
            return LogStreams.DecompressIfGzip(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            file?.Dispose();
            throw new LogFormatException(new LogFormatError(path, 0, 0, $"cannot open: {ex.Message}"), ex);
        }
    }

    private static Result ReadAlkanet(string path, Analyzer sink, bool skipBad, Action<double>? progress, CancellationToken cancellationToken)
    {
        var stream = Open(path, out var file);
        return ReadAlkanet(stream, file, path, sink, skipBad, progress, cancellationToken);
    }

    private static Result ReadAlkanet(Stream stream, FileStream? file, string path, Analyzer sink, bool skipBad, Action<double>? progress,
        CancellationToken cancellationToken)
    {
        var result = new Result { Format = InputFormat.Alkanet };
        using var reader = new JsonLinesReader(stream, path, new RecordReaderOptions { SkipBad = skipBad });
        cancellationToken.ThrowIfCancellationRequested();
        var pairer = new RecordPairer(sink, Analyzer.WantsArguments);
        var r = new SyscallRecord();
        var length = file?.Length ?? 0;
        try
        {
            while (reader.TryRead(r))
            {
                pairer.Add(r);
                if ((reader.RecordsRead & 0xffff) != 0) continue;
                cancellationToken.ThrowIfCancellationRequested();
                if (progress is not null && length > 0) progress((double)file!.Position / length);
            }
        }
        catch (InvalidDataException ex)
        {
            throw new LogFormatException(new LogFormatError(path, reader.RecordLine, reader.BytesConsumed,
                $"damaged compressed data: {ex.Message}"), ex);
        }
        catch (EndOfStreamException ex)
        {
            throw new LogFormatException(new LogFormatError(path, reader.RecordLine, reader.BytesConsumed,
                $"truncated compressed data: {ex.Message}"), ex);
        }
        pairer.Finish();
        progress?.Invoke(1);
        result.Records = reader.RecordsRead;
        result.Skipped = reader.SkippedCount;
        result.SkippedErrors.AddRange(reader.SkippedErrors.Take(20).Select(e => e.ToString()));
        return result;
    }
}
