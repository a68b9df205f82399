namespace Alkanet.Introspection.Windows;

/// <summary>Lower-case hex text of numbers, cached direct-mapped: a decoder formats the same handles, access masks
/// and sizes over and over, and a cache hit allocates nothing.</summary>
public sealed class HexCache
{
    private const int Bits = 11;
    private readonly ulong[] _keys = new ulong[1 << Bits];
    private readonly string?[] _values = new string?[1 << Bits];

    public string Get(ulong value)
    {
        // Fibonacci hashing: round numbers (0, 0x1000, 0x3000...) must not share a slot.
        var slot = (int)((value * 0x9E37_79B9_7F4A_7C15UL) >> (64 - Bits));
        if (_keys[slot] == value && _values[slot] is { } s) return s;
        s = value.ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        _keys[slot] = value;
        _values[slot] = s;
        return s;
    }
}

/// <summary>Strings read from guest memory, cached by where they were read (two keys, e.g. object header and
/// name buffer), so resolving the same handle again allocates nothing. Direct-mapped, fixed size.</summary>
public sealed class GuestStringCache(int entries = 1024)
{
    private readonly (ulong A, ulong B)[] _keys = new (ulong, ulong)[entries];
    private readonly string?[] _values = new string?[entries];

    public bool TryGet(ulong a, ulong b, out string value)
    {
        var slot = Slot(a, b);
        if (_keys[slot] == (a, b) && _values[slot] is { } s) { value = s; return true; }
        value = "";
        return false;
    }

    public void Set(ulong a, ulong b, string value)
    {
        var slot = Slot(a, b);
        _keys[slot] = (a, b);
        _values[slot] = value;
    }

    private int Slot(ulong a, ulong b) => (int)((((a >> 4) ^ b) * 0x9E37_79B9_7F4A_7C15UL) >> 40) % _keys.Length;
}
