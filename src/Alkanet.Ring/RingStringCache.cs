using System.Runtime.CompilerServices;
using System.Text;

namespace Alkanet.Ring;

/// <summary>The UTF-8 bytes of the strings a producer writes again and again (call names from the syscall table, a
/// task's comm, info keys), looked up by reference: the same string instance is transcoded once, not per record.
/// Direct-mapped and fixed-size (a collision just transcodes again); one per producer thread, not thread-safe.</summary>
public sealed class RingStringCache
{
    private const int Entries = 128;
    private const int MaxCachedLength = 64;
    private readonly string?[] _keys = new string?[Entries];
    private readonly byte[][] _bytes = new byte[Entries][];

    /// <summary>The UTF-8 bytes of <paramref name="s"/>; strings longer than 64 characters are not kept (null).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte[]? Get(string s)
    {
        if (s.Length > MaxCachedLength) return null;
        var i = RuntimeHelpers.GetHashCode(s) & (Entries - 1);
        if (ReferenceEquals(_keys[i], s)) return _bytes[i];
        var bytes = Encoding.UTF8.GetBytes(s);
        _bytes[i] = bytes;
        _keys[i] = s;
        return bytes;
    }
}
