using System.Buffers;
using System.IO.Compression;
using Alkanet.Core.Records;

namespace Alkanet.Core.Json;

/// <summary>Writes records as JSON Lines (one compact object a line) to a stream or file; a path ending
/// in <c>.gz</c> is gzip-compressed. Buffers internally and writes in large blocks.</summary>
public sealed class JsonLinesWriter : IDisposable
{
    private const int FlushThreshold = 256 * 1024;
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly ArrayBufferWriter<byte> _buffer = new(FlushThreshold + 64 * 1024);
    private readonly RecordJsonWriter _json;
    private readonly bool _indented;
    private bool _disposed;

    public JsonLinesWriter(Stream stream, bool leaveOpen = false, bool indented = false)
    {
        _stream = stream;
        _leaveOpen = leaveOpen;
        _indented = indented;
        _json = new RecordJsonWriter(indented);
    }

    /// <summary>Creates (or truncates) <paramref name="path"/>; <c>.gz</c> compresses.</summary>
    public static JsonLinesWriter Create(string path, bool indented = false)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        Stream s = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
            s = new GZipStream(s, CompressionLevel.Fastest, leaveOpen: false);
        return new JsonLinesWriter(s, leaveOpen: false, indented);
    }

    public long RecordsWritten { get; private set; }

    public void Write(SyscallRecord record)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _json.WriteLine(record, _buffer);
        RecordsWritten++;
        if (_buffer.WrittenCount >= FlushThreshold) FlushBuffer();
    }

    /// <summary>Writes the buffered records through to the underlying stream.</summary>
    public void Flush()
    {
        FlushBuffer();
        _stream.Flush();
    }

    private void FlushBuffer()
    {
        if (_buffer.WrittenCount == 0) return;
        _stream.Write(_buffer.WrittenSpan);
        _buffer.ResetWrittenCount();
    }

    public bool Indented => _indented;

    public void Dispose()
    {
        if (_disposed) return;
        FlushBuffer();
        _stream.Flush();
        _disposed = true;
        if (!_leaveOpen) _stream.Dispose();
    }
}
