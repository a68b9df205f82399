using System.Text;

namespace Alkanet.Vmm.Gdb;

/// <summary>The byte-level rules of the GDB remote serial protocol: checksums, '}' escapes, run-length
/// encoding, and the hex forms every packet uses.</summary>
public static class RspCodec
{
    public const byte Escape = (byte)'}';
    public const byte RunLength = (byte)'*';

    /// <summary>Sum of the bytes modulo 256, as sent after '#'.</summary>
    public static byte Checksum(ReadOnlySpan<byte> framed)
    {
        uint sum = 0;
        foreach (var b in framed) sum += b;
        return (byte)sum;
    }

    /// <summary>Bytes that cannot appear literally inside a packet body.</summary>
    public static bool NeedsEscape(byte b) => b is (byte)'$' or (byte)'#' or (byte)'}' or (byte)'*';

    /// <summary>Escapes <paramref name="payload"/> for framing (no run-length encoding is ever sent).</summary>
    public static byte[] EscapeForFrame(ReadOnlySpan<byte> payload)
    {
        var extra = 0;
        foreach (var b in payload) if (NeedsEscape(b)) extra++;
        var result = new byte[payload.Length + extra];
        var o = 0;
        foreach (var b in payload)
        {
            if (NeedsEscape(b)) { result[o++] = Escape; result[o++] = (byte)(b ^ 0x20); }
            else result[o++] = b;
        }
        return result;
    }

    /// <summary>Undoes '}' escapes and "c*n" run-length encoding (n - 29 more copies of the previous byte).</summary>
    /// <exception cref="GdbProtocolException">a dangling escape, or a run with nothing before it or a bad count.</exception>
    public static byte[] DecodeBody(ReadOnlySpan<byte> body)
    {
        if (body.IndexOfAny(Escape, RunLength) < 0) return body.ToArray(); // the common case: hex, nothing to undo
        var output = new List<byte>(body.Length);
        for (var i = 0; i < body.Length; i++)
        {
            var b = body[i];
            if (b == Escape)
            {
                if (++i >= body.Length) throw new GdbProtocolException("packet ends inside a '}' escape");
                output.Add((byte)(body[i] ^ 0x20));
            }
            else if (b == RunLength)
            {
                if (output.Count == 0) throw new GdbProtocolException("run-length '*' at the start of a packet");
                if (++i >= body.Length) throw new GdbProtocolException("packet ends inside a run-length '*'");
                var repeat = body[i] - 29;
                if (repeat < 0 || body[i] > 126) throw new GdbProtocolException($"bad run-length count byte 0x{body[i]:x2}");
                var last = output[^1];
                for (var k = 0; k < repeat; k++) output.Add(last);
            }
            else output.Add(b);
        }
        return [.. output];
    }

    public static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };

    /// <summary>Decodes hex pairs into <paramref name="destination"/>; returns the byte count, or -1 on a non-hex digit
    /// or an odd length. "xx" (a register the stub cannot read) decodes as 0 and is reported through <paramref name="unavailable"/>.</summary>
    public static int DecodeHex(ReadOnlySpan<byte> hex, Span<byte> destination, out bool unavailable)
    {
        unavailable = false;
        if ((hex.Length & 1) != 0) return -1;
        var n = Math.Min(hex.Length / 2, destination.Length);
        for (var i = 0; i < n; i++)
        {
            if (hex[2 * i] == 'x' && hex[2 * i + 1] == 'x') { destination[i] = 0; unavailable = true; continue; }
            int hi = HexValue(hex[2 * i]), lo = HexValue(hex[2 * i + 1]);
            if (hi < 0 || lo < 0) return -1;
            destination[i] = (byte)(hi << 4 | lo);
        }
        return n;
    }

    public static string ToHex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    public static string ToHex(string text) => Convert.ToHexStringLower(Encoding.UTF8.GetBytes(text));

    /// <summary>Parses a big-endian hex number (addresses and lengths in packets); false on empty, non-hex or overflow.</summary>
    public static bool TryParseHexNumber(ReadOnlySpan<char> text, out ulong value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 16) return false;
        foreach (var c in text)
        {
            var v = HexValue((byte)c);
            if (v < 0 || c > 127) return false;
            value = value << 4 | (uint)v;
        }
        return true;
    }

    /// <summary>A little-endian register value as target-order hex (what 'P' carries).</summary>
    public static string ToTargetOrderHex(ulong value, int bytes)
    {
        Span<byte> b = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        return Convert.ToHexStringLower(b[..bytes]);
    }
}
