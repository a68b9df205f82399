using System.Runtime.InteropServices;

namespace Alkanet.Introspection.Symbols.Compression;

/// <summary>Decompresses .xz data through the system's liblzma (Debian: liblzma5, always installed with xz-utils and
/// dpkg), since no managed xz decoder is available to the project. Output is capped so a hostile file cannot
/// exhaust memory.</summary>
public static unsafe partial class XzDecoder
{
    private const string Library = "liblzma.so.5";
    private const int LzmaOk = 0, LzmaStreamEnd = 1;
    private const int LzmaRun = 0, LzmaFinish = 3;
    private const uint LzmaConcatenated = 0x08;

    /// <summary>True when the data starts with the xz magic (FD 37 7A 58 5A 00).</summary>
    public static bool IsXz(ReadOnlySpan<byte> data) =>
        data.Length >= 6 && data[0] == 0xFD && data[1] == 0x37 && data[2] == 0x7A && data[3] == 0x58 && data[4] == 0x5A && data[5] == 0;

    /// <summary>Decompresses a whole .xz buffer. Throws <see cref="InvalidDataException"/> naming the byte offset
    /// reached when the data is corrupt, and when the output would exceed <paramref name="maxOutputBytes"/>.</summary>
    public static byte[] Decompress(ReadOnlySpan<byte> input, long maxOutputBytes = 1L << 30)
    {
        LzmaStream strm = default;
        int ret;
        try
        {
            ret = lzma_stream_decoder(&strm, ulong.MaxValue, LzmaConcatenated);
        }
        catch (DllNotFoundException ex)
        {
            throw new InvalidDataException($"cannot read .xz: {Library} is not installed (apt-get install liblzma5)", ex);
        }
        if (ret != LzmaOk) throw new InvalidDataException($"liblzma: decoder init failed (code {ret})");
        var output = new MemoryStream(input.Length * 8);
        var chunk = new byte[1 << 20];
        try
        {
            fixed (byte* inPtr = input)
            fixed (byte* outPtr = chunk)
            {
                strm.NextIn = inPtr;
                strm.AvailIn = (nuint)input.Length;
                while (true)
                {
                    strm.NextOut = outPtr;
                    strm.AvailOut = (nuint)chunk.Length;
                    var action = strm.AvailIn == 0 ? LzmaFinish : LzmaRun;
                    ret = lzma_code(&strm, action);
                    var produced = chunk.Length - (int)strm.AvailOut;
                    if (output.Length + produced > maxOutputBytes)
                        throw new InvalidDataException($"xz data expands beyond the {maxOutputBytes}-byte cap");
                    output.Write(chunk, 0, produced);
                    if (ret == LzmaStreamEnd) break;
                    if (ret != LzmaOk)
                        throw new InvalidDataException($"corrupt xz data at compressed byte offset {strm.TotalIn} (liblzma code {ret})");
                    if (action == LzmaFinish && produced == 0)
                        throw new InvalidDataException($"truncated xz data at compressed byte offset {strm.TotalIn}");
                }
            }
        }
        finally
        {
            lzma_end(&strm);
        }
        return output.ToArray();
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct LzmaStream
    {
        public byte* NextIn;
        public nuint AvailIn;
        public ulong TotalIn;
        public byte* NextOut;
        public nuint AvailOut;
        public ulong TotalOut;
        public nint Allocator;
        public nint Internal;
        public nint Reserved1, Reserved2, Reserved3, Reserved4;
        public ulong SeekPos, ReservedInt2;
        public nuint ReservedInt3, ReservedInt4;
        public int ReservedEnum1, ReservedEnum2;
    }

    [LibraryImport(Library)]
    private static partial int lzma_stream_decoder(LzmaStream* strm, ulong memlimit, uint flags);

    [LibraryImport(Library)]
    private static partial int lzma_code(LzmaStream* strm, int action);

    [LibraryImport(Library)]
    private static partial void lzma_end(LzmaStream* strm);
}
