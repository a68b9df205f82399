using System.Runtime.InteropServices;

namespace Alkanet.Core.Compression;

/// <summary>The few zlib entry points the strict gzip reader needs, from the system's libz.so.1
/// (always present on Debian: zlib1g is essential).</summary>
internal static unsafe partial class ZlibNative
{
    public const int ZOk = 0;
    public const int ZStreamEnd = 1;
    public const int ZBufError = -5;
    public const int ZNoFlush = 0;

    /// <summary>15-bit window plus 16: expect a gzip header and verify its trailer (CRC-32, size).</summary>
    public const int GzipWindowBits = 15 + 16;

    /// <summary>sizeof(z_stream) on LP64 Linux.</summary>
    public const int StreamSize = 112;

    // Offsets in z_stream on LP64: next_in 0, avail_in 8, total_in 16, next_out 24, avail_out 32, total_out 40, msg 48.
    public const int NextIn = 0, AvailIn = 8, TotalIn = 16, NextOut = 24, AvailOut = 32, TotalOut = 40, Msg = 48;

    private const string Lib = "libz.so.1";

    [LibraryImport(Lib, EntryPoint = "inflateInit2_", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int InflateInit2(void* stream, int windowBits, string version, int streamSize);

    [LibraryImport(Lib, EntryPoint = "inflate")]
    public static partial int Inflate(void* stream, int flush);

    [LibraryImport(Lib, EntryPoint = "inflateReset")]
    public static partial int InflateReset(void* stream);

    [LibraryImport(Lib, EntryPoint = "inflateEnd")]
    public static partial int InflateEnd(void* stream);

    public static bool IsAvailable { get; } = NativeLibrary.TryLoad(Lib, out _);
}
