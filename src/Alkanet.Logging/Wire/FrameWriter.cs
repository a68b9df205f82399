using System.Buffers;
using System.Buffers.Binary;

namespace Alkanet.Logging.Wire;

/// <summary>Writes frames to a stream. Thread-safe: acks and control messages may be sent from different
/// threads, and each frame goes out whole.</summary>
public sealed class FrameWriter(Stream stream)
{
    private readonly SemaphoreSlim _lock = new(1, 1);

    public long FramesWritten { get; private set; }

    public long BytesWritten { get; private set; }

    /// <summary>Builds a frame: the body is written by <paramref name="body"/> after the header and type.</summary>
    public static byte[] Build(FrameType type, Action<ArrayBufferWriter<byte>> body)
    {
        var w = new ArrayBufferWriter<byte>(256);
        w.GetSpan(WireLimits.HeaderBytes);
        w.Advance(WireLimits.HeaderBytes);
        w.WriteByte((byte)type);
        body(w);
        var frame = w.WrittenSpan.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)(frame.Length - WireLimits.HeaderBytes));
        return frame;
    }

    /// <summary>A frame whose body is already encoded (a batch): header, type, then the body bytes.</summary>
    public async ValueTask SendAsync(FrameType type, ReadOnlyMemory<byte> body, CancellationToken cancel = default)
    {
        var header = new byte[WireLimits.HeaderBytes + 1];
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)(body.Length + 1));
        header[4] = (byte)type;
        await _lock.WaitAsync(cancel).ConfigureAwait(false);
        try
        {
            await stream.WriteAsync(header, cancel).ConfigureAwait(false);
            await stream.WriteAsync(body, cancel).ConfigureAwait(false);
            await stream.FlushAsync(cancel).ConfigureAwait(false);
            FramesWritten++;
            BytesWritten += header.Length + body.Length;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Blocking send of a pre-encoded body, for the tracer's dedicated sender thread.</summary>
    public void Send(FrameType type, ReadOnlySpan<byte> body)
    {
        Span<byte> header = stackalloc byte[WireLimits.HeaderBytes + 1];
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)(body.Length + 1));
        header[4] = (byte)type;
        _lock.Wait();
        try
        {
            stream.Write(header);
            stream.Write(body);
            stream.Flush();
            FramesWritten++;
            BytesWritten += header.Length + body.Length;
        }
        finally
        {
            _lock.Release();
        }
    }

    public void Send(byte[] frame)
    {
        _lock.Wait();
        try
        {
            stream.Write(frame);
            stream.Flush();
            FramesWritten++;
            BytesWritten += frame.Length;
        }
        finally
        {
            _lock.Release();
        }
    }

    public async ValueTask SendAsync(byte[] frame, CancellationToken cancel = default)
    {
        await _lock.WaitAsync(cancel).ConfigureAwait(false);
        try
        {
            await stream.WriteAsync(frame, cancel).ConfigureAwait(false);
            await stream.FlushAsync(cancel).ConfigureAwait(false);
            FramesWritten++;
            BytesWritten += frame.Length;
        }
        finally
        {
            _lock.Release();
        }
    }
}
