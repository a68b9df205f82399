using System.Buffers.Binary;
using System.Text;

namespace Alkanet.Logging.Wire;

/// <summary>Reads a frame body the peer sent. Every read is bounds-checked; a short or malformed body is a
/// <see cref="ProtocolException"/> naming the field and the offset, never an exception of another kind.</summary>
public ref struct WireReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);
    private readonly ReadOnlySpan<byte> _data;
    private int _pos;

    public WireReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _pos = 0;
    }

    public readonly int Position => _pos;

    public readonly int Remaining => _data.Length - _pos;

    public readonly bool AtEnd => _pos >= _data.Length;

    private ReadOnlySpan<byte> Take(int n, string field)
    {
        if (n < 0 || n > _data.Length - _pos)
            throw new ProtocolException($"truncated {field} at body offset {_pos} (need {n} bytes, {_data.Length - _pos} left)");
        var s = _data.Slice(_pos, n);
        _pos += n;
        return s;
    }

    public byte ReadByte(string field) => Take(1, field)[0];

    public ushort ReadUInt16(string field) => BinaryPrimitives.ReadUInt16LittleEndian(Take(2, field));

    public uint ReadUInt32(string field) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, field));

    public long ReadInt64(string field) => BinaryPrimitives.ReadInt64LittleEndian(Take(8, field));

    public double ReadDouble(string field) => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, field));

    public ulong ReadVarUInt(string field)
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (_pos >= _data.Length) throw new ProtocolException($"truncated varint {field} at body offset {_pos}");
            var b = _data[_pos++];
            if (shift == 63 && b > 1) throw new ProtocolException($"varint {field} overflows 64 bits at body offset {_pos - 1}");
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw new ProtocolException($"varint {field} longer than 10 bytes at body offset {_pos}");
    }

    public long ReadVarInt(string field)
    {
        var z = ReadVarUInt(field);
        return (long)(z >> 1) ^ -(long)(z & 1);
    }

    /// <summary>A count bounded by <paramref name="max"/>.</summary>
    public int ReadCount(string field, int max)
    {
        var n = ReadVarUInt(field);
        if (n > (ulong)max) throw new ProtocolException($"{field} {n} exceeds the limit {max} at body offset {_pos}");
        return (int)n;
    }

    public ReadOnlySpan<byte> ReadBytes(string field, int maxLength)
    {
        var n = ReadCount(field + " length", maxLength);
        return Take(n, field);
    }

    public string ReadString(string field, int maxLength = WireLimits.MaxStringBytes)
    {
        var bytes = ReadBytes(field, maxLength);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new ProtocolException($"{field} is not valid UTF-8 (ending at body offset {_pos})");
        }
    }

    public readonly void ExpectEnd(string what)
    {
        if (_pos != _data.Length) throw new ProtocolException($"{_data.Length - _pos} unexpected trailing bytes after {what}");
    }
}
