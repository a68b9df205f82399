using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;
using Alkanet.Core.Records;

namespace Alkanet.Core.Json;

/// <summary>
/// The fast path for the shape the tracer writes: one compact record on one line, known fields only, string values
/// without <c>\u</c> escapes, integers without fraction or exponent. It accepts only input that the general path
/// (<see cref="System.Text.Json.Utf8JsonReader"/>) reads to the same record; anything else (whitespace inside the
/// record, an unknown field, a value of an unexpected kind, a record cut by the buffer's end, any error) makes it give
/// up with nothing consumed, and the general path reads the record again and names what is wrong. Issue 11: the
/// general reader was ~45 % of <c>alkanet report</c>'s CPU (docs/PERFORMANCE.md).
/// </summary>
public sealed partial class JsonLinesReader
{
    private char[] _chars = new char[256];

    /// <summary>Parses a flat record at the start of <paramref name="s"/> into <paramref name="r"/> (reset first);
    /// the bytes consumed (through the closing '}'), or 0 when the general path must read it. The per-record methods are
    /// compiled optimised at once: on one busy core the tiering thread took seconds to replace their unoptimised code.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int TryParseFlat(ReadOnlySpan<byte> s, SyscallRecord r)
    {
        r.Reset();
        if (s.Length < 2 || s[0] != (byte)'{' || s[1] != (byte)'"') return 0;
        var p = 1;
        var seen = Seen.None;
        while (true)
        {
            // "name":
            if (p >= s.Length || s[p] != (byte)'"') return 0;
            var close = s[(p + 1)..].IndexOf((byte)'"');
            if (close < 0) return 0;
            var field = Classify(s.Slice(p + 1, close)); // names with escapes never match a known field: general path
            p += close + 2;
            if (field == Field.Unknown || p >= s.Length || s[p] != (byte)':') return 0;
            p++;
            if (p >= s.Length) return 0;
            if (s[p] == (byte)'n')
            {
                // an optional value written as null is absent; a null "no" or "logtype" is the general path's error
                if (field is Field.No or Field.LogType || !s[p..].StartsWith("null"u8)) return 0;
                p += 4;
            }
            else if (!FlatValue(s, ref p, field, r, ref seen)) return 0;
            if (p >= s.Length) return 0;
            if (s[p] == (byte)'}') break;
            if (s[p] != (byte)',') return 0;
            p++;
        }
        var required = r.LogType == LogType.Loss && (seen & (Seen.No | Seen.LogType)) == (Seen.No | Seen.LogType)
            ? Seen.No | Seen.LogType
            : Seen.Required;
        return (seen & required) == required ? p + 1 : 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool FlatValue(ReadOnlySpan<byte> s, ref int p, Field field, SyscallRecord r, ref Seen seen)
    {
        switch (field)
        {
            case Field.No:
                if (!FlatInt64(s, ref p, out var no)) return false;
                r.No = no;
                seen |= Seen.No;
                return true;
            case Field.CpuId:
                if (!FlatInt64(s, ref p, out var cpu) || cpu is < 0 or > int.MaxValue) return false;
                r.CpuId = (int)cpu;
                seen |= Seen.Cpu;
                return true;
            case Field.LogType:
                if (!FlatPlainString(s, ref p, out var lts) || !LogTypeNames.TryParseUtf8(lts, out var lt)) return false;
                r.LogType = lt;
                seen |= Seen.LogType;
                return true;
            case Field.ProcPid:
                if (!FlatHex(s, ref p, out var pid)) return false;
                r.Pid = pid;
                seen |= Seen.Pid;
                return true;
            case Field.ProcTid:
                if (!FlatHex(s, ref p, out var tid)) return false;
                r.Tid = tid;
                seen |= Seen.Tid;
                return true;
            case Field.ProcName:
                if (!FlatPooled(s, ref p, out var pn)) return false;
                r.ProcName = pn;
                seen |= Seen.ProcName;
                return true;
            case Field.Name:
                if (!FlatPooled(s, ref p, out var nm)) return false;
                r.Name = nm;
                seen |= Seen.Name;
                return true;
            case Field.SysNo:
                if (!FlatHex(s, ref p, out var sn)) return false;
                r.SysNo = sn;
                seen |= Seen.SysNo;
                return true;
            case Field.Type:
                if (!FlatPooled(s, ref p, out var ty)) return false;
                r.Type = ty;
                return true;
            case Field.RetVal:
                if (!FlatHex(s, ref p, out var rv)) return false;
                r.RetVal = rv;
                return true;
            case Field.AdditionalInfo:
                return FlatAdditionalInfo(s, ref p, r.AdditionalInfo);
            case Field.TimestampNs:
                if (!FlatInt64(s, ref p, out var ts)) return false;
                r.TimestampNs = ts;
                return true;
            case Field.ProcPpid:
                if (!FlatHex(s, ref p, out var ppid)) return false;
                r.ParentPid = ppid;
                return true;
            case Field.ProcSeq:
                if (!FlatInt64(s, ref p, out var ps)) return false;
                r.ProcSeq = ps;
                return true;
            case Field.Cr3:
                if (!FlatHex(s, ref p, out var cr3)) return false;
                r.Cr3 = cr3;
                return true;
            case Field.Args:
                return FlatArgs(s, ref p, r);
            default:
                return false;
        }
    }

    /// <summary>{"key":"value",...} with string values only (other kinds keep their raw text: the general path's job).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool FlatAdditionalInfo(ReadOnlySpan<byte> s, ref int p, AdditionalInfo info)
    {
        if (p + 1 >= s.Length || s[p] != (byte)'{') return false;
        p++;
        if (s[p] == (byte)'}')
        {
            p++;
            return true;
        }
        while (true)
        {
            if (!FlatPooled(s, ref p, out var key) || p >= s.Length || s[p] != (byte)':') return false;
            p++;
            if (!FlatString(s, ref p, out var value)) return false;
            info.Append(key, InfoValue.String(value));
            if (p >= s.Length) return false;
            if (s[p] == (byte)'}')
            {
                p++;
                return true;
            }
            if (s[p] != (byte)',') return false;
            p++;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool FlatArgs(ReadOnlySpan<byte> s, ref int p, SyscallRecord r)
    {
        if (p + 1 >= s.Length || s[p] != (byte)'[') return false;
        p++;
        _argsScratch.Clear();
        if (s[p] != (byte)']')
        {
            while (true)
            {
                if (!FlatHex(s, ref p, out var v) || p >= s.Length) return false;
                _argsScratch.Add(v);
                if (s[p] == (byte)']') break;
                if (s[p] != (byte)',') return false;
                p++;
            }
        }
        p++;
        r.Args = _argsScratch.ToArray();
        return true;
    }

    /// <summary>-?(0|[1-9][0-9]*) followed by ',' or '}', within long's range (19 digits at most: a 19-digit magnitude fits a
    /// ulong, so the range check is exact; longer ones are the general path's error).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool FlatInt64(ReadOnlySpan<byte> s, ref int p, out long value)
    {
        value = 0;
        var i = p;
        var negative = i < s.Length && s[i] == (byte)'-';
        if (negative) i++;
        var first = i;
        ulong magnitude = 0;
        while (i < s.Length && (uint)(s[i] - '0') <= 9) magnitude = magnitude * 10 + (uint)(s[i++] - '0');
        var digits = i - first;
        if (digits is 0 or > 19 || digits > 1 && s[first] == (byte)'0') return false;
        if (i >= s.Length || s[i] is not ((byte)',' or (byte)'}')) return false;
        if (magnitude > (negative ? 1UL << 63 : long.MaxValue)) return false;
        value = negative ? (long)(0 - magnitude) : (long)magnitude;
        p = i;
        return true;
    }

    /// <summary>"[0-9a-fA-F]{1,16}", as the general path's Utf8Parser 'x' accepts.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool FlatHex(ReadOnlySpan<byte> s, ref int p, out ulong value)
    {
        value = 0;
        if (p >= s.Length || s[p] != (byte)'"') return false;
        var i = p + 1;
        while (i < s.Length)
        {
            var c = s[i];
            uint d;
            if ((uint)(c - '0') <= 9) d = (uint)(c - '0');
            else if ((uint)((c | 0x20) - 'a') <= 5) d = (uint)((c | 0x20) - 'a' + 10);
            else break;
            value = value << 4 | d;
            i++;
        }
        var digits = i - p - 1;
        if (digits is 0 or > 16 || i >= s.Length || s[i] != (byte)'"') return false;
        p = i + 1;
        return true;
    }

    /// <summary>A string of printable ASCII without escapes, as bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool FlatPlainString(ReadOnlySpan<byte> s, ref int p, out ReadOnlySpan<byte> text)
    {
        text = default;
        if (p >= s.Length || s[p] != (byte)'"') return false;
        var quote = s[(p + 1)..].IndexOfAny((byte)'"', (byte)'\\');
        if (quote < 0 || s[p + 1 + quote] != (byte)'"') return false;
        text = s.Slice(p + 1, quote);
        if (text.IndexOfAnyExceptInRange((byte)0x20, (byte)0x7e) >= 0) return false;
        p += quote + 2;
        return true;
    }

    /// <summary>A name (call, process, type, additional_info key) through the pool: no allocation once seen.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool FlatPooled(ReadOnlySpan<byte> s, ref int p, out string value)
    {
        value = "";
        if (!FlatPlainString(s, ref p, out var text)) return false;
        value = _pool.Get(text);
        return true;
    }

    /// <summary>A string value: valid UTF-8, no control characters, the escapes \" \\ \/ \b \f \n \r \t (not \u).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool FlatString(ReadOnlySpan<byte> s, ref int p, out string value)
    {
        value = "";
        if (p >= s.Length || s[p] != (byte)'"') return false;
        var start = p + 1;
        var rest = s[start..];
        var end = rest.IndexOfAny((byte)'"', (byte)'\\');
        if (end < 0) return false;
        if (rest[end] == (byte)'"')
        {
            var text = rest[..end];
            var odd = text.IndexOfAnyExceptInRange((byte)0x20, (byte)0x7e);
            if (odd >= 0 && (text[odd..].IndexOfAnyInRange((byte)0, (byte)0x1f) >= 0 || !Utf8.IsValid(text))) return false;
            value = Encoding.UTF8.GetString(text);
            p = start + end + 1;
            return true;
        }
        return FlatEscapedString(s, ref p, out value);
    }

    /// <summary>An ASCII string with simple escapes, decoded into the scratch buffer.</summary>
    private bool FlatEscapedString(ReadOnlySpan<byte> s, ref int p, out string value)
    {
        value = "";
        var n = 0;
        for (var i = p + 1; i < s.Length; i++)
        {
            var c = s[i];
            if (c == (byte)'"')
            {
                value = new string(_chars, 0, n);
                p = i + 1;
                return true;
            }
            if (c is < 0x20 or > 0x7e) return false;
            if (c == (byte)'\\')
            {
                if (++i >= s.Length) return false;
                c = s[i] switch
                {
                    (byte)'"' => (byte)'"', (byte)'\\' => (byte)'\\', (byte)'/' => (byte)'/', (byte)'b' => 8, (byte)'f' => 12,
                    (byte)'n' => (byte)'\n', (byte)'r' => (byte)'\r', (byte)'t' => (byte)'\t', _ => 0,
                };
                if (c == 0) return false;
            }
            if (n == _chars.Length) Array.Resize(ref _chars, n * 2);
            _chars[n++] = (char)c;
        }
        return false;
    }
}
