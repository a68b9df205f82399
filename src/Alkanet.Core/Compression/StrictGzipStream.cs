using System.Runtime.InteropServices;

using Alkanet.Core.IO;

namespace Alkanet.Core.Compression;

/// <summary>
/// Decompresses gzip (one or more members) and fails loudly on a truncated or corrupt file. .NET's
/// GZipStream returns end-of-stream when the input simply stops, so a log cut at a record boundary would
/// pass as complete; zlib checks each member's trailer (CRC-32 and length) and we insist on seeing it.
/// </summary>
public sealed unsafe class StrictGzipStream : ReadOnlyStream
{
    private readonly Stream _inner;
    private readonly byte[] _in = new byte[1 << 16];
    private void* _z;
    private int _inStart;
    private int _inEnd;
    private bool _innerDone;
    private bool _memberDone;
    private bool _finished;
    private long _compressedConsumed;

    public StrictGzipStream(Stream inner)
    {
        _inner = inner;
        _z = NativeMemory.AllocZeroed(ZlibNative.StreamSize);
        var rc = ZlibNative.InflateInit2(_z, ZlibNative.GzipWindowBits, "1.2.11", ZlibNative.StreamSize);
        if (rc != ZlibNative.ZOk)
        {
            NativeMemory.Free(_z);
            _z = null;
            throw new InvalidDataException($"zlib could not start a gzip decoder (code {rc})");
        }
    }

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_z is null, this);
        if (buffer.IsEmpty || _finished) return 0;
        while (true)
        {
            if (_memberDone)
            {
                // Another member may follow (concatenated .gz files are valid gzip).
                if (!EnsureInput()) { _finished = true; return 0; }
                ZlibNative.InflateReset(_z);
                _memberDone = false;
            }
            if (_inStart == _inEnd && !EnsureInput())
                throw new InvalidDataException(
                    $"gzip data is truncated: the input ends after {_compressedConsumed} compressed bytes without the gzip trailer");

            int produced, rc;
            fixed (byte* pin = &_in[_inStart])
            fixed (byte* pout = buffer)
            {
                var availIn = _inEnd - _inStart;
                *(byte**)((byte*)_z + ZlibNative.NextIn) = pin;
                *(uint*)((byte*)_z + ZlibNative.AvailIn) = (uint)availIn;
                *(byte**)((byte*)_z + ZlibNative.NextOut) = pout;
                *(uint*)((byte*)_z + ZlibNative.AvailOut) = (uint)buffer.Length;
                rc = ZlibNative.Inflate(_z, ZlibNative.ZNoFlush);
                var leftIn = (int)*(uint*)((byte*)_z + ZlibNative.AvailIn);
                var used = availIn - leftIn;
                _inStart += used;
                _compressedConsumed += used;
                produced = buffer.Length - (int)*(uint*)((byte*)_z + ZlibNative.AvailOut);
            }
            if (rc == ZlibNative.ZStreamEnd) _memberDone = true;
            else if (rc != ZlibNative.ZOk && rc != ZlibNative.ZBufError)
                throw new InvalidDataException($"corrupt gzip data after {_compressedConsumed} compressed bytes: {Message() ?? $"zlib error {rc}"}");
            if (produced > 0) return produced;
        }
    }

    /// <summary>True when unread compressed input is available (refilling from the inner stream if needed).</summary>
    private bool EnsureInput()
    {
        if (_inStart < _inEnd) return true;
        if (_innerDone) return false;
        _inStart = 0;
        _inEnd = _inner.Read(_in, 0, _in.Length);
        if (_inEnd == 0) _innerDone = true;
        return _inEnd > 0;
    }

    private string? Message()
    {
        var p = *(nint*)((byte*)_z + ZlibNative.Msg);
        return p == 0 ? null : Marshal.PtrToStringUTF8(p);
    }

    protected override void Dispose(bool disposing)
    {
        if (_z is not null)
        {
            ZlibNative.InflateEnd(_z);
            NativeMemory.Free(_z);
            _z = null;
        }
        if (disposing) _inner.Dispose();
        base.Dispose(disposing);
    }
}
