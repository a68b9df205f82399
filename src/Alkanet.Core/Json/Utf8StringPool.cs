using System.Buffers.Binary;
using System.Text;

namespace Alkanet.Core.Json;

/// <summary>Turns repeated short UTF-8 values (call names, process names, field names) into shared
/// strings, so reading millions of records does not allocate the same name millions of times.
/// Bounded: past <see cref="MaxEntries"/> it stops remembering and simply decodes.</summary>
public sealed class Utf8StringPool
{
    private const int MaxEntries = 1 << 16;
    private const int MaxPooledChars = 128;
    private const int RecentSlots = 1024;
    private readonly Dictionary<string, string> _pool = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    // The spellings seen last, by a hash of their bytes: a hit is one hash and one byte compare, without decoding the
    // UTF-8 and hashing the chars (the report reads ~10 names per record; that was ~6% of its CPU).
    private readonly byte[]?[] _recentBytes = new byte[]?[RecentSlots];
    private readonly string?[] _recentStrings = new string?[RecentSlots];

    public Utf8StringPool() => _lookup = _pool.GetAlternateLookup<ReadOnlySpan<char>>();

    public string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length == 0) return "";
        if (utf8.Length > MaxPooledChars) return Encoding.UTF8.GetString(utf8);
        var slot = Slot(utf8);
        if (_recentBytes[slot] is { } known && utf8.SequenceEqual(known)) return _recentStrings[slot]!;
        Span<char> chars = stackalloc char[MaxPooledChars];
        var n = Encoding.UTF8.GetChars(utf8, chars);
        var s = Get(chars[..n]);
        if (_pool.Count < MaxEntries)
        {
            _recentBytes[slot] = utf8.ToArray();
            _recentStrings[slot] = s;
        }
        return s;
    }

    public string Get(ReadOnlySpan<char> chars)
    {
        if (chars.Length == 0) return "";
        if (_lookup.TryGetValue(chars, out var s)) return s;
        s = chars.ToString();
        if (_pool.Count < MaxEntries) _pool[s] = s;
        return s;
    }

    /// <summary>A cheap hash of the length and the first and last 8 bytes (a collision only costs a decode).</summary>
    private static int Slot(ReadOnlySpan<byte> b)
    {
        ulong h;
        if (b.Length >= 8)
            h = BinaryPrimitives.ReadUInt64LittleEndian(b) * 0x9E3779B97F4A7C15UL ^ BinaryPrimitives.ReadUInt64LittleEndian(b[^8..]);
        else
        {
            h = 0;
            foreach (var x in b) h = (h << 8) | x;
        }
        h = (h ^ (ulong)b.Length) * 0xBF58476D1CE4E5B9UL;
        return (int)(h >> 54) & (RecentSlots - 1);
    }
}
