using System.Buffers.Binary;

namespace Alkanet.Logging.Wire;

/// <summary>One frame read off the wire. <see cref="Body"/> is valid until the next read.</summary>
public readonly record struct Frame(FrameType Type, ReadOnlyMemory<byte> Body);

/// <summary>Reads length-prefixed frames: <c>u32le length</c> (of type + body), <c>u8 type</c>, body.
/// A length of zero or above the cap, or an unknown type, is a <see cref="ProtocolException"/>; the
/// buffer never grows past the cap, so a hostile length cannot make the reader allocate.</summary>
public sealed class FrameReader(Stream stream, int maxFrameBytes = WireLimits.DefaultMaxFrameBytes)
{
    private readonly byte[] _header = new byte[WireLimits.HeaderBytes];
    private byte[] _buffer = new byte[64 * 1024];

    public int MaxFrameBytes { get; } = maxFrameBytes;

    public long FramesRead { get; private set; }

    public long BytesRead { get; private set; }

    /// <summary>The next frame, or null when the peer closed the connection cleanly between frames.</summary>
    public ValueTask<Frame?> ReadAsync(CancellationToken cancel = default) => ReadAsync(null, cancel);

    /// <param name="limit">A tighter cap for this frame (the hello of a not yet authenticated peer).</param>
    public async ValueTask<Frame?> ReadAsync(int? limit, CancellationToken cancel)
    {
        if (!await FillAsync(_header, allowEof: true, cancel).ConfigureAwait(false)) return null;
        var length = BinaryPrimitives.ReadUInt32LittleEndian(_header);
        var cap = Math.Min(MaxFrameBytes, limit ?? MaxFrameBytes);
        if (length == 0) throw new ProtocolException($"empty frame (length 0) after {FramesRead} frames");
        if (length > (uint)cap)
            throw new ProtocolException($"oversized frame: {length} bytes exceeds the cap of {cap} (frame {FramesRead + 1})");
        if (_buffer.Length < length) _buffer = new byte[Math.Min(MaxFrameBytes, Math.Max((int)length, _buffer.Length * 2))];
        var payload = _buffer.AsMemory(0, (int)length);
        if (!await FillAsync(payload, allowEof: false, cancel).ConfigureAwait(false))
            throw new ProtocolException("connection closed inside a frame");
        var type = (FrameType)payload.Span[0];
        if (!Enum.IsDefined(type)) throw new ProtocolException($"unknown frame type {(byte)type} (frame {FramesRead + 1})");
        FramesRead++;
        BytesRead += WireLimits.HeaderBytes + length;
        return new Frame(type, payload[1..]);
    }

    /// <summary>Blocking form of <see cref="ReadAsync"/> for the tracer's dedicated reader thread.</summary>
    public Frame? Read()
    {
        if (!Fill(_header, allowEof: true)) return null;
        var length = BinaryPrimitives.ReadUInt32LittleEndian(_header);
        if (length == 0) throw new ProtocolException($"empty frame (length 0) after {FramesRead} frames");
        if (length > (uint)MaxFrameBytes)
            throw new ProtocolException($"oversized frame: {length} bytes exceeds the cap of {MaxFrameBytes} (frame {FramesRead + 1})");
        if (_buffer.Length < length) _buffer = new byte[Math.Min(MaxFrameBytes, Math.Max((int)length, _buffer.Length * 2))];
        var payload = _buffer.AsMemory(0, (int)length);
        Fill(payload.Span, allowEof: false);
        var type = (FrameType)payload.Span[0];
        if (!Enum.IsDefined(type)) throw new ProtocolException($"unknown frame type {(byte)type} (frame {FramesRead + 1})");
        FramesRead++;
        BytesRead += WireLimits.HeaderBytes + length;
        return new Frame(type, payload[1..]);
    }

    private bool Fill(Span<byte> target, bool allowEof)
    {
        var got = 0;
        while (got < target.Length)
        {
            var n = stream.Read(target[got..]);
            if (n == 0)
            {
                if (got == 0 && allowEof) return false;
                throw new ProtocolException(allowEof ? "connection closed inside a frame header" : "connection closed inside a frame");
            }
            got += n;
        }
        return true;
    }

    private async ValueTask<bool> FillAsync(Memory<byte> target, bool allowEof, CancellationToken cancel)
    {
        var got = 0;
        while (got < target.Length)
        {
            var n = await stream.ReadAsync(target[got..], cancel).ConfigureAwait(false);
            if (n == 0)
            {
                if (got == 0 && allowEof) return false;
                throw new ProtocolException(allowEof ? "connection closed inside a frame header" : "connection closed inside a frame");
            }
            got += n;
        }
        return true;
    }
}
