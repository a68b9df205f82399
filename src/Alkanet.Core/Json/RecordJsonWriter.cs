using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Alkanet.Core.Records;

namespace Alkanet.Core.Json;

/// <summary>Writes records in the original Alkanet JSON shape into a buffer: compact UTF-8 JSON written by hand
/// (field names as precomputed UTF-8 prefixes, hex from a table, strings copied as is when they are printable
/// ASCII without a quote or backslash, escaped by <see cref="JavaScriptEncoder.UnsafeRelaxedJsonEscaping"/>
/// otherwise: the bytes <see cref="Utf8JsonWriter"/> wrote with that encoder before, at a fraction of the cost on
/// the drain's hot path). One instance per thread; writing a record does not allocate.</summary>
public sealed class RecordJsonWriter
{
    // Relaxed escaping keeps backslashes as \\ and non-ASCII names readable, as the original log shows them.
    private static readonly JavaScriptEncoder Escaper = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    private static readonly JsonWriterOptions IndentedOptions = new() { Encoder = Escaper, Indented = true };

    // What a string may hold to be copied without escaping: printable ASCII except the quote and the backslash.
    private static readonly SearchValues<char> Plain =
        SearchValues.Create(Enumerable.Range(0x20, 0x7f - 0x20).Select(c => (char)c).Where(c => c is not ('"' or '\\')).ToArray());

    private static ReadOnlySpan<byte> HexDigits => "0123456789abcdef"u8;

    // A record's fixed text (names, punctuation, numbers) fits in this; strings are added to it by their length.
    private const int FixedBound = 640;

    private readonly bool _indented;
    private readonly ArrayBufferWriter<byte>? _compact;
    private readonly Utf8JsonWriter? _pretty;
    private char[] _escaped = new char[256];

    public RecordJsonWriter(bool indented = false)
    {
        _indented = indented;
        if (!indented) return;
        _compact = new ArrayBufferWriter<byte>(1024);
        _pretty = new Utf8JsonWriter(Stream.Null, IndentedOptions);
    }

    /// <summary>Writes one record as a JSON object (no trailing newline) into <paramref name="output"/>.</summary>
    public void Write(SyscallRecord r, IBufferWriter<byte> output) => Write(r, output, newline: false);

    /// <summary>Writes one record as a JSON Lines line (the object and its newline) into <paramref name="output"/>.</summary>
    public void WriteLine(SyscallRecord r, IBufferWriter<byte> output) => Write(r, output, newline: true);

    private void Write(SyscallRecord r, IBufferWriter<byte> output, bool newline)
    {
        if (_indented)
        {
            WriteIndented(r, output);
            if (newline) { output.GetSpan(1)[0] = (byte)'\n'; output.Advance(1); }
            return;
        }
        var span = output.GetSpan(Bound(r));
        var n = WriteCompact(r, span);
        if (newline) span[n++] = (byte)'\n';
        output.Advance(n);
    }

    /// <summary>Pretty-printed (for people reading one record): the compact form re-indented, so both show the same values.</summary>
    private void WriteIndented(SyscallRecord r, IBufferWriter<byte> output)
    {
        var compact = _compact!;
        compact.ResetWrittenCount();
        var span = compact.GetSpan(Bound(r));
        compact.Advance(WriteCompact(r, span));
        using var doc = JsonDocument.Parse(compact.WrittenMemory);
        _pretty!.Reset(output);
        doc.RootElement.WriteTo(_pretty);
        _pretty.Flush();
    }

    /// <summary>An upper bound of the record's compact length: 6 bytes a char covers the longest escape (\\uXXXX).</summary>
    private static int Bound(SyscallRecord r)
    {
        long n = FixedBound + StringBound(r.ProcName) + StringBound(r.Name) + StringBound(r.Type) + r.Args.Length * 20L;
        foreach (var (key, value) in r.AdditionalInfo)
            n += StringBound(key) + 2 + (value.Kind == InfoValueKind.Unreadable ? StringBound(value.Text) + 6 * 32 : StringBound(value.Text));
        if (r.ExtraFields is { } extra)
            foreach (var (key, raw) in extra) n += StringBound(key) + 2 + StringBound(raw);
        return n <= Array.MaxLength ? (int)n : throw new InvalidDataException($"record no {r.No} is too large to write as JSON ({n} bytes)");
    }

    private static long StringBound(string? s) => 6L * (s?.Length ?? 0) + 3;

    private int WriteCompact(SyscallRecord r, Span<byte> d)
    {
        var p = 0;
        Number(d, ref p, "{\"no\":"u8, r.No);
        Number(d, ref p, ",\"cpu_id\":"u8, r.CpuId);
        Put(d, ref p, ",\"logtype\":\""u8);
        Put(d, ref p, LogTypeUtf8(r.LogType));
        d[p++] = (byte)'"';
        HexString(d, ref p, ",\"proc_pid\":"u8, r.Pid);
        HexString(d, ref p, ",\"proc_tid\":"u8, r.Tid);
        Put(d, ref p, ",\"proc_name\":"u8);
        Str(d, ref p, r.ProcName);
        Put(d, ref p, ",\"name\":"u8);
        Str(d, ref p, r.Name);
        HexString(d, ref p, ",\"sys_no\":"u8, r.SysNo);
        Put(d, ref p, ",\"type\":"u8);
        Str(d, ref p, r.Type);
        HexString(d, ref p, ",\"ret_val\":"u8, r.RetVal);
        Put(d, ref p, ",\"additional_info\":{"u8);
        var first = true;
        foreach (var (key, value) in r.AdditionalInfo)
        {
            if (!first) d[p++] = (byte)',';
            first = false;
            Str(d, ref p, key);
            d[p++] = (byte)':';
            if (value.IsJson) Raw(d, ref p, value.Text);
            else if (value.Kind == InfoValueKind.Unreadable) Str(d, ref p, ValueText(value));
            else Str(d, ref p, value.Text ?? "");
        }
        d[p++] = (byte)'}';
        if (r.TimestampNs is { } ts) Number(d, ref p, ",\"timestamp_ns\":"u8, ts);
        if (r.ParentPid is { } ppid) HexString(d, ref p, ",\"proc_ppid\":"u8, ppid);
        if (r.ProcSeq is { } seq) Number(d, ref p, ",\"proc_seq\":"u8, seq);
        if (r.Cr3 is { } cr3) HexString(d, ref p, ",\"cr3\":"u8, cr3);
        if (r.Args.Length > 0)
        {
            Put(d, ref p, ",\"args\":["u8);
            for (var i = 0; i < r.Args.Length; i++) HexString(d, ref p, i == 0 ? default : ","u8, r.Args[i]);
            d[p++] = (byte)']';
        }
        if (r.ExtraFields is { } extra)
        {
            foreach (var (key, raw) in extra)
            {
                d[p++] = (byte)',';
                Str(d, ref p, key);
                d[p++] = (byte)':';
                Raw(d, ref p, raw);
            }
        }
        d[p++] = (byte)'}';
        return p;
    }

    private static void Put(Span<byte> d, ref int p, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(d[p..]);
        p += bytes.Length;
    }

    /// <summary><paramref name="prefix"/>, then the number in decimal.</summary>
    private static void Number(Span<byte> d, ref int p, ReadOnlySpan<byte> prefix, long v)
    {
        Put(d, ref p, prefix);
        Utf8Formatter.TryFormat(v, d[p..], out var n);
        p += n;
    }

    /// <summary><paramref name="prefix"/>, then the number as a JSON string of lower-case hex without leading zeros.</summary>
    private static void HexString(Span<byte> d, ref int p, ReadOnlySpan<byte> prefix, ulong v)
    {
        Put(d, ref p, prefix);
        d[p++] = (byte)'"';
        var digits = (67 - BitOperations.LeadingZeroCount(v | 1)) >> 2;
        var end = p + digits;
        var digitsOf = HexDigits;
        for (var i = end - 1; i >= p; i--, v >>= 4) d[i] = digitsOf[(int)(v & 0xf)];
        p = end;
        d[p++] = (byte)'"';
    }

    /// <summary>A JSON fragment as is, in UTF-8.</summary>
    private static void Raw(Span<byte> d, ref int p, string json)
    {
        p += Encoding.UTF8.GetBytes(json, d[p..]);
    }

    /// <summary>A JSON string literal: copied when it is plain printable ASCII, else escaped by the relaxed encoder.</summary>
    private void Str(Span<byte> d, ref int p, string s)
    {
        d[p++] = (byte)'"';
        if (s.AsSpan().IndexOfAnyExcept(Plain) < 0)
        {
            Ascii.FromUtf16(s, d[p..], out var n);
            p += n;
        }
        else
        {
            if (_escaped.Length < 6 * s.Length) _escaped = new char[Math.Max(6 * s.Length, 2 * _escaped.Length)];
            var status = Escaper.Encode(s, _escaped, out _, out var written);
            if (status != OperationStatus.Done) throw new InvalidDataException($"a string could not be escaped as JSON ({status})");
            p += Encoding.UTF8.GetBytes(_escaped.AsSpan(0, written), d[p..]);
        }
        d[p++] = (byte)'"';
    }

    /// <summary>The log's text for a value: the string or JSON fragment, and for a failed guest read the text read
    /// before it followed by <c>&lt;unreadable@ADDRESS&gt;</c> (hex), the form docs/RECORD.md names. The only place
    /// that form is written.</summary>
    public static string ValueText(InfoValue value) =>
        value.Kind == InfoValueKind.Unreadable
            ? string.Create(CultureInfo.InvariantCulture, $"{value.Text}{UnreadablePrefix}{value.Address:x}>")
            : value.Text ?? "";

    /// <summary>True when text read back from a log ends in the unreadable form <see cref="ValueText"/> writes (a guest
    /// read that failed, after any part read before it): readers of logs ask here rather than search for the form.</summary>
    public static bool EndsUnreadable(string? text) => TryUnreadableAddress(text, out _);

    /// <summary>The guest address of a failed read whose unreadable form ends <paramref name="text"/> (see
    /// <see cref="EndsUnreadable"/>); false when the text does not end in that form.</summary>
    public static bool TryUnreadableAddress(string? text, out ulong address)
    {
        address = 0;
        if (text is null || text.Length == 0 || text[^1] != '>') return false;
        var at = text.LastIndexOf(UnreadablePrefix, StringComparison.Ordinal);
        if (at < 0) return false;
        var hex = text.AsSpan(at + UnreadablePrefix.Length, text.Length - at - UnreadablePrefix.Length - 1);
        return ulong.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out address);
    }

    private const string UnreadablePrefix = "<unreadable@";

    /// <summary>A JSON array of strings (an argv) whose unreadable elements take the log's unreadable form; the
    /// result says where the first unreadable element was (<see cref="InfoValueKind.PartlyUnreadableJson"/>).</summary>
    public static InfoValue StringArray(IReadOnlyList<InfoValue> items)
    {
        var sb = new StringBuilder("[");
        var unreadable = false;
        ulong firstUnread = 0;
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0) sb.Append(',');
            if (items[i].HasUnreadable && !unreadable) { unreadable = true; firstUnread = items[i].Address; }
            AppendJsonString(sb, ValueText(items[i]));
        }
        var json = sb.Append(']').ToString();
        return unreadable ? new InfoValue(json, InfoValueKind.PartlyUnreadableJson, firstUnread) : InfoValue.Json(json);
    }

    /// <summary>A JSON string literal (quotes included) with the escapes the original log uses.</summary>
    private static void AppendJsonString(StringBuilder sb, string s)
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

    private static ReadOnlySpan<byte> LogTypeUtf8(LogType t) => t switch
    {
        LogType.Enter => "ENTER"u8,
        LogType.Exit => "EXIT"u8,
        LogType.Loss => "LOSS"u8,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "unknown log type"),
    };
}
