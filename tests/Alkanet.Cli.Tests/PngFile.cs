using System.Buffers.Binary;
using System.IO.Compression;

namespace Alkanet.Cli.Tests;

/// <summary>Reads a PNG far enough to prove it is whole: the signature, IHDR's size and pixel format, and every IDAT chunk
/// inflated to exactly the bytes the size needs (one filter byte per row). 8-bit RGB only (QEMU's screendump).</summary>
internal static class PngFile
{
    public static (int Width, int Height) Decode(string path)
    {
        var bytes = File.ReadAllBytes(path);
        ReadOnlySpan<byte> signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
        if (!bytes.AsSpan().StartsWith(signature)) throw new InvalidDataException($"{path}: no PNG signature");
        int width = 0, height = 0;
        using var idat = new MemoryStream();
        var at = 8;
        var ended = false;
        while (at + 8 <= bytes.Length && !ended)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(at));
            var type = System.Text.Encoding.ASCII.GetString(bytes, at + 4, 4);
            if (length < 0 || at + 12 + length > bytes.Length) throw new InvalidDataException($"{path}: chunk {type} at {at} runs past the end");
            var data = bytes.AsSpan(at + 8, length);
            switch (type)
            {
                case "IHDR":
                    width = BinaryPrimitives.ReadInt32BigEndian(data);
                    height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                    if (data[8] != 8 || data[9] != 2)
                        throw new InvalidDataException($"{path}: not 8-bit RGB (depth {data[8]}, colour type {data[9]})");
                    break;
                case "IDAT":
                    idat.Write(data);
                    break;
                case "IEND":
                    ended = true;
                    break;
            }
            at += 12 + length;
        }
        if (!ended || width <= 0 || height <= 0) throw new InvalidDataException($"{path}: no IHDR or no IEND");
        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        using var pixels = new MemoryStream();
        z.CopyTo(pixels);
        var expected = (long)height * (1 + (width * 3));
        if (pixels.Length != expected)
            throw new InvalidDataException($"{path}: {pixels.Length} pixel bytes, {expected} expected for {width}x{height}");
        return (width, height);
    }
}
