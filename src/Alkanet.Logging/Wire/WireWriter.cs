using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Alkanet.Logging.Wire;

/// <summary>Appends protocol primitives (little-endian integers, LEB128 varints, length-prefixed UTF-8) to a buffer.</summary>
public static class WireWriter
{
    public static void WriteByte(this IBufferWriter<byte> w, byte value)
    {
        w.GetSpan(1)[0] = value;
        w.Advance(1);
    }

    public static void WriteUInt16(this IBufferWriter<byte> w, ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(w.GetSpan(2), value);
        w.Advance(2);
    }

    public static void WriteUInt32(this IBufferWriter<byte> w, uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(w.GetSpan(4), value);
        w.Advance(4);
    }

    public static void WriteInt64(this IBufferWriter<byte> w, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(w.GetSpan(8), value);
        w.Advance(8);
    }

    public static void WriteDouble(this IBufferWriter<byte> w, double value)
    {
        BinaryPrimitives.WriteDoubleLittleEndian(w.GetSpan(8), value);
        w.Advance(8);
    }

    public static void WriteVarUInt(this IBufferWriter<byte> w, ulong value)
    {
        var span = w.GetSpan(10);
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[i++] = (byte)value;
        w.Advance(i);
    }

    public static void WriteVarInt(this IBufferWriter<byte> w, long value) =>
        w.WriteVarUInt((ulong)((value << 1) ^ (value >> 63)));

    public static void WriteString(this IBufferWriter<byte> w, string value)
    {
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (max <= 256)
        {
            // short strings (names, keys): encode straight after a one- or two-byte length
            Span<byte> tmp = stackalloc byte[256];
            var n = Encoding.UTF8.GetBytes(value, tmp);
            w.WriteVarUInt((ulong)n);
            tmp[..n].CopyTo(w.GetSpan(n));
            w.Advance(n);
            return;
        }
        var count = Encoding.UTF8.GetByteCount(value);
        w.WriteVarUInt((ulong)count);
        Encoding.UTF8.GetBytes(value, w.GetSpan(count));
        w.Advance(count);
    }

    public static void WriteBytes(this IBufferWriter<byte> w, ReadOnlySpan<byte> value)
    {
        w.WriteVarUInt((ulong)value.Length);
        value.CopyTo(w.GetSpan(value.Length));
        w.Advance(value.Length);
    }
}
