using System.Buffers;
using System.Buffers.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Alkanet.Core.Json;
using Alkanet.Core.Records;

namespace Alkanet.Core.Tests;

/// <summary>The record writer as it was before it was written by hand (Utf8JsonWriter with the relaxed encoder), kept
/// here as the oracle the hand-written <see cref="RecordJsonWriter"/> must match byte for byte.</summary>
internal sealed class RecordJsonWriterOracle
{
    private readonly Utf8JsonWriter _writer = new(Stream.Null, new JsonWriterOptions
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    });

    public byte[] Write(SyscallRecord r)
    {
        var output = new ArrayBufferWriter<byte>();
        var w = _writer;
        w.Reset(output);
        w.WriteStartObject();
        w.WriteNumber(RecordFieldNames.No, r.No);
        w.WriteNumber(RecordFieldNames.CpuId, r.CpuId);
        w.WriteString(RecordFieldNames.LogType, r.LogType.ToText());
        WriteHex(w, RecordFieldNames.ProcPid, r.Pid);
        WriteHex(w, RecordFieldNames.ProcTid, r.Tid);
        w.WriteString(RecordFieldNames.ProcName, Encoded(r.ProcName));
        w.WriteString(RecordFieldNames.Name, Encoded(r.Name));
        WriteHex(w, RecordFieldNames.SysNo, r.SysNo);
        w.WriteString(RecordFieldNames.Type, Encoded(r.Type));
        WriteHex(w, RecordFieldNames.RetVal, r.RetVal);
        w.WriteStartObject(RecordFieldNames.AdditionalInfo);
        foreach (var (key, value) in r.AdditionalInfo)
        {
            if (value.IsJson)
            {
                w.WritePropertyName(key);
                w.WriteRawValue(value.Text, skipInputValidation: true);
            }
            else
            {
                w.WriteString(key, RecordJsonWriter.ValueText(value));
            }
        }
        w.WriteEndObject();
        if (r.TimestampNs is { } ts) w.WriteNumber(RecordFieldNames.TimestampNs, ts);
        if (r.ParentPid is { } ppid) WriteHex(w, RecordFieldNames.ProcPpid, ppid);
        if (r.ProcSeq is { } seq) w.WriteNumber(RecordFieldNames.ProcSeq, seq);
        if (r.Cr3 is { } cr3) WriteHex(w, RecordFieldNames.Cr3, cr3);
        if (r.Args.Length > 0)
        {
            w.WriteStartArray(RecordFieldNames.Args);
            foreach (var a in r.Args) w.WriteStringValue(a.ToString("x"));
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
        return output.WrittenSpan.ToArray();
    }

    // the old writer wrote process, call and type names through JsonEncodedText (cached)
    private static JsonEncodedText Encoded(string name) => JsonEncodedText.Encode(name, JavaScriptEncoder.UnsafeRelaxedJsonEscaping);

    private static void WriteHex(Utf8JsonWriter w, string name, ulong value)
    {
        Span<byte> hex = stackalloc byte[16];
        Utf8Formatter.TryFormat(value, hex, out var n, new StandardFormat('x'));
        w.WriteString(name, hex[..n]);
    }
}
