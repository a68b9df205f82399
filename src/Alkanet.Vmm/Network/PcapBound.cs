using System.Buffers.Binary;

namespace Alkanet.Vmm.Network;

/// <summary>The capture's bound: QEMU's filter-dump writes every frame; after the run the file is cut at the last whole
/// frame within the byte cap (the libpcap format: a 24-byte file header, then per frame a 16-byte header whose
/// third 32-bit field is the captured length). A torn last frame (QEMU killed mid-write) is cut too.</summary>
public static class PcapBound
{
    public sealed record Result(long Frames, long Bytes, bool CapHit, bool Torn);

    /// <summary>What run.json and network.json say when the cap cut the capture: "capture truncated at 64 MiB" (the
    /// limit in whole MiB as <c>--capture-limit</c> takes it, else in bytes).</summary>
    public static string TruncatedNote(long limitBytes) =>
        $"capture truncated at {(limitBytes % (1L << 20) == 0 ? $"{limitBytes >> 20} MiB" : $"{limitBytes} bytes")}";

    private const int FileHeader = 24;
    private const int FrameHeader = 16;

    public static Result Apply(string path, long maxBytes)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        if (fs.Length < FileHeader) throw new InvalidDataException($"{path}: {fs.Length} bytes, shorter than a pcap header");
        Span<byte> header = stackalloc byte[FileHeader];
        fs.ReadExactly(header);
        var magic = BinaryPrimitives.ReadUInt32LittleEndian(header);
        var little = magic switch
        {
            0xa1b2c3d4 or 0xa1b23c4d => true,
            0xd4c3b2a1 or 0x4d3cb2a1 => false,
            _ => throw new InvalidDataException($"{path}: offset 0: not a pcap file (magic {magic:x8})"),
        };
        Span<byte> frame = stackalloc byte[FrameHeader];
        long at = FileHeader, frames = 0;
        var capHit = false;
        var torn = false;
        while (at < fs.Length)
        {
            if (fs.Length - at < FrameHeader) { torn = true; break; }
            fs.Position = at;
            fs.ReadExactly(frame);
            var len = little ? BinaryPrimitives.ReadUInt32LittleEndian(frame[8..]) : BinaryPrimitives.ReadUInt32BigEndian(frame[8..]);
            var end = at + FrameHeader + len;
            if (end > fs.Length) { torn = true; break; }
            if (end > maxBytes) { capHit = true; break; }
            at = end;
            frames++;
        }
        if (at < fs.Length) fs.SetLength(at);
        return new Result(frames, at, capHit, torn);
    }
}
