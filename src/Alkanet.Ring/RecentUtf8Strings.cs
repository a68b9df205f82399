using System.Buffers.Binary;

namespace Alkanet.Ring;

/// <summary>The consumer's side of <see cref="RingStringCache"/>: the strings of the last records (call names, comm,
/// info keys) recognised from their UTF-8 bytes by one hash and one byte comparison, without transcoding them to UTF-16
/// and hashing again (the drain's largest item after the JSON itself). What it does not know it asks
/// <paramref name="slow"/> for (a bounded pool) and remembers. Direct-mapped, fixed size; one consumer thread.</summary>
public sealed class RecentUtf8Strings(Func<ReadOnlySpan<byte>, string> slow)
{
    private const int Entries = 256;
    private const int MaxLength = 64;
    private readonly byte[]?[] _keys = new byte[Entries][];
    private readonly string[] _values = new string[Entries];

    public string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length == 0) return "";
        if (utf8.Length > MaxLength) return slow(utf8);
        var i = (int)(Hash(utf8) & (Entries - 1));
        if (_keys[i] is { } key && utf8.SequenceEqual(key)) return _values[i];
        var s = slow(utf8);
        _values[i] = s;
        _keys[i] = utf8.ToArray();
        return s;
    }

    private static uint Hash(ReadOnlySpan<byte> b)
    {
        ulong h = (ulong)b.Length * 0x9E3779B97F4A7C15;
        if (b.Length >= 8)
        {
            h ^= BinaryPrimitives.ReadUInt64LittleEndian(b);
            h = (h ^ BinaryPrimitives.ReadUInt64LittleEndian(b[^8..])) * 0x9E3779B97F4A7C15;
        }
        else
        {
            foreach (var c in b) h = (h ^ c) * 0x100000001B3;
        }
        return (uint)(h >> 32) ^ (uint)h;
    }
}
