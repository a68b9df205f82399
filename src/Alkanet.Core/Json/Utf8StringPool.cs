using System.Text;

namespace Alkanet.Core.Json;

/// <summary>Turns repeated short UTF-8 values (call names, process names, field names) into shared
/// strings, so reading millions of records does not allocate the same name millions of times.
/// Bounded: past <see cref="MaxEntries"/> it stops remembering and simply decodes.</summary>
public sealed class Utf8StringPool
{
    private const int MaxEntries = 1 << 16;
    private const int MaxPooledChars = 128;
    private readonly Dictionary<string, string> _pool = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public Utf8StringPool() => _lookup = _pool.GetAlternateLookup<ReadOnlySpan<char>>();

    public string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length == 0) return "";
        if (utf8.Length > MaxPooledChars) return Encoding.UTF8.GetString(utf8);
        Span<char> chars = stackalloc char[MaxPooledChars];
        var n = Encoding.UTF8.GetChars(utf8, chars);
        return Get(chars[..n]);
    }

    public string Get(ReadOnlySpan<char> chars)
    {
        if (chars.Length == 0) return "";
        if (_lookup.TryGetValue(chars, out var s)) return s;
        s = chars.ToString();
        if (_pool.Count < MaxEntries) _pool[s] = s;
        return s;
    }
}
