using System.IO.Compression;
using Alkanet.Core.Compression;

namespace Alkanet.Core.Json;

/// <summary>Opens log inputs: files, "-" for standard input, gzip detected from the content (not the name).</summary>
public static class LogStreams
{
    public static Stream OpenRead(string path)
    {
        Stream s = path == "-"
            ? Console.OpenStandardInput()
            : new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, FileOptions.SequentialScan);
        return DecompressIfGzip(s);
    }

    /// <summary>Wraps <paramref name="stream"/> in a gzip decoder when it starts with the gzip magic bytes.</summary>
    public static Stream DecompressIfGzip(Stream stream)
    {
        var head = new byte[2];
        var n = 0;
        while (n < 2)
        {
            var r = stream.Read(head, n, 2 - n);
            if (r == 0) break;
            n += r;
        }
        Stream rest;
        if (stream.CanSeek)
        {
            stream.Seek(-n, SeekOrigin.Current);
            rest = stream;
        }
        else
        {
            rest = new PrefixedStream(head, n, stream);
        }
        if (n < 2 || head[0] != 0x1f || head[1] != 0x8b) return rest;
        // Prefer zlib's strict decoder, which notices a truncated file; fall back where libz is absent.
        return ZlibNative.IsAvailable ? new StrictGzipStream(rest) : new GZipStream(rest, CompressionMode.Decompress);
    }
}
