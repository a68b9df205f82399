namespace Alkanet.Introspection.Windows;

/// <summary>Lower-case hex text of numbers, cached direct-mapped: a decoder formats the same handles, access masks
/// and sizes over and over, and a cache hit allocates nothing.</summary>
public sealed class HexCache(int entries = 2048)
{
    private readonly ulong[] _keys = new ulong[entries];
    private readonly string?[] _values = new string?[entries];

    public string Get(ulong value)
    {
        var slot = (int)((value ^ (value >> 17) ^ (value >> 41)) % (ulong)_keys.Length);
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

    private int Slot(ulong a, ulong b) => (int)(((a >> 4) ^ (b * 0x9E3779B97F4A7C15UL >> 20)) % (ulong)_keys.Length);
}
