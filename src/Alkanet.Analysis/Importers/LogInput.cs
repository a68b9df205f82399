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
        if (head.Contains("\"logtype\"", StringComparison.Ordinal) || head.Contains("\"proc_pid\"", StringComparison.Ordinal)) return InputFormat.Alkanet;
        if (head.Contains("\"behavior\"", StringComparison.Ordinal) || head.Contains("\"info\"", StringComparison.Ordinal) && head.Contains("\"target\"", StringComparison.Ordinal)
            || head.Contains("\"CAPE\"", StringComparison.Ordinal) || head.Contains("\"statistics\"", StringComparison.Ordinal))
            return InputFormat.Cape;
        return InputFormat.Alkanet; // let the Alkanet reader name what is wrong
    }

    /// <summary>Reads <paramref name="path"/> into <paramref name="sink"/>. <paramref name="progress"/> gets the
    /// fraction of the (compressed) file consumed.</summary>
    public static Result Read(string path, InputFormat format, Analyzer sink, bool skipBad = false, Action<double>? progress = null)
    {
        // Standard input cannot be read twice: without --from it is taken as an Alkanet log.
        if (format == InputFormat.Auto) format = path == "-" ? InputFormat.Alkanet : Detect(path);
        var result = format switch
        {
            InputFormat.Alkanet => ReadAlkanet(path, sink, skipBad, progress),
            InputFormat.Drakvuf => DrakvufImporter.Read(path, sink, skipBad, progress),
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

    private static Result ReadAlkanet(string path, Analyzer sink, bool skipBad, Action<double>? progress)
    {
        var result = new Result { Format = InputFormat.Alkanet };
        var stream = Open(path, out var file);
        using var reader = new JsonLinesReader(stream, path, new RecordReaderOptions { SkipBad = skipBad });
        var pairer = new RecordPairer(sink, Analyzer.WantsArguments);
        var r = new SyscallRecord();
        var length = file?.Length ?? 0;
        try
        {
            while (reader.TryRead(r))
            {
                pairer.Add(r);
                if (progress is not null && (reader.RecordsRead & 0xffff) == 0 && length > 0) progress((double)file!.Position / length);
            }
        }
        catch (InvalidDataException ex)
        {
            throw new LogFormatException(new LogFormatError(path, reader.RecordLine, reader.BytesConsumed, $"damaged compressed data: {ex.Message}"), ex);
        }
        catch (EndOfStreamException ex)
        {
            throw new LogFormatException(new LogFormatError(path, reader.RecordLine, reader.BytesConsumed, $"truncated compressed data: {ex.Message}"), ex);
        }
        pairer.Finish();
        progress?.Invoke(1);
        result.Records = reader.RecordsRead;
        result.Skipped = reader.SkippedCount;
        result.SkippedErrors.AddRange(reader.SkippedErrors.Take(20).Select(e => e.ToString()));
        return result;
    }
}
