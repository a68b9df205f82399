using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Alkanet.Core.Records;
using F = Alkanet.Core.Json.RecordFieldNames;

namespace Alkanet.Core.Json;

/// <summary>Writes records in the original Alkanet JSON shape into a buffer. One instance per thread;
/// reuses its <see cref="Utf8JsonWriter"/> so writing a record does not allocate.</summary>
public sealed class RecordJsonWriter
{
    // Relaxed escaping keeps backslashes as \\ and non-ASCII names readable, as the original log shows them.
    private static readonly JsonWriterOptions CompactOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
        SkipValidation = true,
    };

    private static readonly JsonWriterOptions IndentedOptions = CompactOptions with { Indented = true, SkipValidation = false };

    private readonly Utf8JsonWriter _writer;

    // Process, call and type names repeat on nearly every record: each is escaped once into a JsonEncodedText and then
    // copied as is (the logger writes ~1 M records/s; checking every name for characters to escape was ~5% of its CPU).
    private readonly Dictionary<string, JsonEncodedText> _names = new(StringComparer.Ordinal);
    private const int MaxCachedNames = 4096;

    public RecordJsonWriter(bool indented = false)
    {
        _writer = new Utf8JsonWriter(Stream.Null, indented ? IndentedOptions : CompactOptions);
    }

    /// <summary>Writes one record as a JSON object (no trailing newline) into <paramref name="output"/>.</summary>
    public void Write(SyscallRecord r, IBufferWriter<byte> output)
    {
        var w = _writer;
        w.Reset(output);
        w.WriteStartObject();
        w.WriteNumber(F.NoText, r.No);
        w.WriteNumber(F.CpuIdText, r.CpuId);
        w.WriteString(F.LogTypeText, LogTypeUtf8(r.LogType));
        WriteHex(w, F.ProcPidText, r.Pid);
        WriteHex(w, F.ProcTidText, r.Tid);
        w.WriteString(F.ProcNameText, Encoded(r.ProcName));
        w.WriteString(F.NameText, Encoded(r.Name));
        WriteHex(w, F.SysNoText, r.SysNo);
        w.WriteString(F.TypeText, Encoded(r.Type));
        WriteHex(w, F.RetValText, r.RetVal);
        w.WriteStartObject(F.AdditionalInfoText);
        foreach (var (key, value) in r.AdditionalInfo)
        {
            if (value.IsJson)
            {
                w.WritePropertyName(key);
                w.WriteRawValue(value.Text, skipInputValidation: true);
            }
            else
            {
                w.WriteString(key, ValueText(value));
            }
        }
        w.WriteEndObject();
        if (r.TimestampNs is { } ts) w.WriteNumber(F.TimestampNsText, ts);
        if (r.ParentPid is { } ppid) WriteHex(w, F.ProcPpidText, ppid);
        if (r.ProcSeq is { } seq) w.WriteNumber(F.ProcSeqText, seq);
        if (r.Cr3 is { } cr3) WriteHex(w, F.Cr3Text, cr3);
        if (r.Args.Length > 0)
        {
            w.WriteStartArray(F.ArgsText);
            Span<byte> hex = stackalloc byte[16];
            foreach (var a in r.Args)
            {
                Utf8Formatter.TryFormat(a, hex, out var n, new StandardFormat('x'));
                w.WriteStringValue(hex[..n]);
            }
            w.WriteEndArray();
        }
        if (r.ExtraFields is { } extra)
        {
            foreach (var (key, raw) in extra)
            {
                w.WritePropertyName(key);
                w.WriteRawValue(raw, skipInputValidation: true);
            }
        }
        w.WriteEndObject();
        w.Flush();
    }

    private JsonEncodedText Encoded(string name)
    {
        if (_names.TryGetValue(name, out var text)) return text;
        if (_names.Count >= MaxCachedNames) _names.Clear(); // guest-chosen names: bounded
        text = JsonEncodedText.Encode(name, CompactOptions.Encoder);
        _names[name] = text;
        return text;
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

    private static void WriteHex(Utf8JsonWriter w, JsonEncodedText name, ulong value)
    {
        Span<byte> hex = stackalloc byte[16];
        Utf8Formatter.TryFormat(value, hex, out var n, new StandardFormat('x'));
        w.WriteString(name, hex[..n]);
    }

    private static ReadOnlySpan<byte> LogTypeUtf8(LogType t) => t switch
    {
        LogType.Enter => "ENTER"u8,
        LogType.Exit => "EXIT"u8,
        LogType.Loss => "LOSS"u8,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "unknown log type"),
    };
}
