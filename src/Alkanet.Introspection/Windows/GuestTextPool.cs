using System.Runtime.InteropServices;

namespace Alkanet.Introspection.Windows;

/// <summary>Strings a decoder builds from guest text (an OBJECT_ATTRIBUTES path with its root prefix, a value name),
/// kept by content: the same path opened again yields the same string object, so a hit that reads an unchanged string
/// allocates nothing, and the ring's UTF-8 cache (keyed by reference) knows it. Direct-mapped and fixed in size; a slot
/// holds the text itself, compared in full before it is reused, so a hash collision only costs a new string. One per
/// decoder (per vCPU): not thread-safe.</summary>
public sealed class GuestTextPool(int entries = 512)
{
    private readonly string?[] _texts = new string?[entries];

    /// <summary>Longest text kept (in characters); longer texts are built every time.</summary>
    public const int MaxLength = 1024;

    public long Hits { get; private set; }
    public long Misses { get; private set; }

    /// <summary>The string equal to <paramref name="chars"/>.</summary>
    public string Get(ReadOnlySpan<char> chars)
    {
        if (chars.Length == 0) return "";
        if (chars.Length > MaxLength) return new string(chars);
        var hash = new HashCode();
        hash.AddBytes(MemoryMarshal.AsBytes(chars));
        var slot = (int)((uint)hash.ToHashCode() % (uint)_texts.Length);
        if (_texts[slot] is { } known && known.AsSpan().SequenceEqual(chars))
        {
            Hits++;
            return known;
        }
        Misses++;
        return _texts[slot] = new string(chars);
    }
}
