using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Alkanet.Introspection.Memory;

namespace Alkanet.Introspection.Linux;

/// <summary>Bounded reads of hostile guest memory: integers, C strings (page by page, so a string that runs into
/// an unmapped page still yields its readable part), and the log's <c>&lt;unreadable@ADDRESS&gt;</c> form.</summary>
public static class GuestReads
{
    public const int MaxPath = 512;
    private const ulong PageSize = 4096;

    public static bool TryU64(IVirtualMemory mem, ulong addr, out ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        if (mem.Read(addr, b) != 8) { value = 0; return false; }
        value = BinaryPrimitives.ReadUInt64LittleEndian(b);
        return true;
    }

    public static bool TryU32(IVirtualMemory mem, ulong addr, out uint value)
    {
        Span<byte> b = stackalloc byte[4];
        if (mem.Read(addr, b) != 4) { value = 0; return false; }
        value = BinaryPrimitives.ReadUInt32LittleEndian(b);
        return true;
    }

    /// <summary>The NUL-terminated string at <paramref name="addr"/> (at most <paramref name="max"/> bytes, UTF-8,
    /// invalid bytes replaced), or null when its first byte cannot be read.</summary>
    public static string? CString(IVirtualMemory mem, ulong addr, int max = MaxPath)
    {
        if (addr == 0) return null;
        Span<byte> buf = stackalloc byte[max];
        var got = 0;
        while (got < max)
        {
            var here = addr + (ulong)got;
            var toPageEnd = (int)Math.Min(PageSize - (here & (PageSize - 1)), 128UL);
            var want = Math.Min(toPageEnd, max - got);
            var n = mem.Read(here, buf.Slice(got, want));
            if (n <= 0) break;
            var nul = buf.Slice(got, n).IndexOf((byte)0);
            if (nul >= 0) return Encoding.UTF8.GetString(buf[..(got + nul)]);
            got += n;
            if (n < want) break;
        }
        return got == 0 ? null : Encoding.UTF8.GetString(buf[..got]);
    }

    public static string Unreadable(ulong addr) => "<unreadable@" + addr.ToString("x", CultureInfo.InvariantCulture) + ">";

    /// <summary>A JSON string literal (quotes included) for <paramref name="s"/>.</summary>
    public static void AppendJsonString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
