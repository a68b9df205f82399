using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using Alkanet.Core.Records;

namespace Alkanet.Core.Json;

/// <summary>
/// Streams records out of an Alkanet log: JSON Lines, or a sequence of pretty-printed objects like the
/// original paper's figure (any whitespace between objects). Memory stays bounded by the largest record,
/// not the file. A malformed record raises <see cref="LogFormatException"/> naming the source, line and
/// byte offset; with <see cref="RecordReaderOptions.SkipBad"/> it is counted and skipped instead, and
/// reading resumes at the next line that starts a record.
/// </summary>
public sealed partial class JsonLinesReader : IDisposable
{
    private const int InitialBuffer = 1 << 20;
    private static readonly JsonReaderOptions ReaderOptions = new() { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 };

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly RecordReaderOptions _options;
    private readonly Utf8StringPool _pool = new();
    private readonly List<ulong> _argsScratch = new(8);
    private byte[] _buf = new byte[InitialBuffer];
    private int _start;
    private int _end;
    private bool _eof;
    private long _bufferOffset; // absolute offset of _buf[0] in the decompressed stream
    private long _line = 1;     // line number of _buf[_start]

    public JsonLinesReader(Stream stream, string sourceName, RecordReaderOptions? options = null, bool leaveOpen = false)
    {
        _stream = stream;
        SourceName = sourceName;
        _options = options ?? RecordReaderOptions.Default;
        _leaveOpen = leaveOpen;
    }

    /// <summary>Opens a log file ("-" for standard input); gzip is detected from the content.</summary>
    public static JsonLinesReader Open(string path, RecordReaderOptions? options = null)
    {
        try
        {
            return new JsonLinesReader(LogStreams.OpenRead(path), path, options);
        }
        catch (IOException ex)
        {
            throw new LogFormatException(new LogFormatError(path, 0, 0, $"cannot open: {ex.Message}"), ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new LogFormatException(new LogFormatError(path, 0, 0, $"cannot open: {ex.Message}"), ex);
        }
    }

    /// <summary>Reads every record of a file as independent instances.</summary>
    public static IEnumerable<SyscallRecord> ReadFile(string path, RecordReaderOptions? options = null)
    {
        using var reader = Open(path, options);
        var r = new SyscallRecord();
        while (reader.TryRead(r)) yield return r.Clone();
    }

    public string SourceName { get; }

    /// <summary>1-based line on which the last record returned starts.</summary>
    public long RecordLine { get; private set; }

    /// <summary>Byte offset (in the decompressed stream) at which the last record returned starts.</summary>
    public long RecordOffset { get; private set; }

    public long RecordsRead { get; private set; }

    /// <summary>How many of <see cref="RecordsRead"/> the fast path read (tests; the rest went through the general reader).</summary>
    internal long FlatRecords { get; private set; }

    public long SkippedCount { get; private set; }

    /// <summary>The first skipped records' errors (at most 100), for reports.</summary>
    public List<LogFormatError> SkippedErrors { get; } = [];

    /// <summary>Bytes of (decompressed) input consumed so far, for progress.</summary>
    public long BytesConsumed => _bufferOffset + _start;

    /// <summary>Reads the next record into <paramref name="record"/> (which is reset first). False at the end.</summary>
    public bool TryRead(SyscallRecord record)
    {
        while (true)
        {
            if (!SkipWhitespace()) return false;

            var flat = _options.FlatPath ? TryParseFlat(new ReadOnlySpan<byte>(_buf, _start, _end - _start), record) : 0;
            if (flat > 0)
            {
                // one line, no newline inside: the line number does not move
                RecordLine = _line;
                RecordOffset = _bufferOffset + _start;
                _start += flat;
                RecordsRead++;
                FlatRecords++;
                return true;
            }
            var outcome = TryParse(record, out var consumed, out var error);
            switch (outcome)
            {
                case ParseOutcome.Ok:
                    RecordLine = _line;
                    RecordOffset = _bufferOffset + _start;
                    Advance(consumed);
                    RecordsRead++;
                    return true;
                case ParseOutcome.NeedMore:
                    if (_eof)
                    {
                        error = Error(_start, "truncated record at end of input (no closing '}')");
                        goto case ParseOutcome.Malformed;
                    }
                    if (_end - _start >= _options.MaxRecordBytes)
                    {
                        error = Error(_start, $"record larger than {_options.MaxRecordBytes} bytes");
                        goto case ParseOutcome.Malformed;
                    }
                    Refill();
                    continue;
                case ParseOutcome.Malformed:
                    if (!_options.SkipBad) throw new LogFormatException(error!);
                    SkippedCount++;
                    if (SkippedErrors.Count < 100) SkippedErrors.Add(error!);
                    _options.OnSkipped?.Invoke(error!);
                    Resync();
                    continue;
            }
        }
    }

    private enum ParseOutcome { Ok, NeedMore, Malformed }

    /// <summary>Skips whitespace (and a UTF-8 BOM) before the next record, refilling as needed. False at end of input.</summary>
    private bool SkipWhitespace()
    {
        while (true)
        {
            while (_start < _end)
            {
                var b = _buf[_start];
                if (b == (byte)'\n') { _line++; _start++; }
                else if (b is (byte)' ' or (byte)'\t' or (byte)'\r') _start++;
                else if (b == 0xEF && _bufferOffset + _start == 0)
                {
                    if (_end - _start < 3 && !_eof) break;
                    if (_end - _start >= 3 && _buf[_start + 1] == 0xBB && _buf[_start + 2] == 0xBF) _start += 3;
                    else return true;
                }
                else return true;
            }
            if (_eof && _start >= _end) return false;
            Refill();
        }
    }

    private void Advance(int count)
    {
        _line += _buf.AsSpan(_start, count).Count((byte)'\n');
        _start += count;
    }

    /// <summary>After a bad record, continue at the next line that starts with '{' (a new record in both layouts).</summary>
    private void Resync()
    {
        var from = _start + 1;
        while (true)
        {
            var span = _buf.AsSpan(from, Math.Max(0, _end - from));
            var idx = span.IndexOf("\n{"u8);
            if (idx >= 0)
            {
                Advance(from + idx + 1 - _start);
                return;
            }
            if (_eof)
            {
                Advance(_end - _start);
                return;
            }
            // keep the last byte: it may be the '\n' before a '{' not yet read
            var keep = Math.Max(_start, _end - 1);
            Advance(keep - _start);
            Refill();
            from = _start;
        }
    }

    private void Refill()
    {
        if (_start > 0)
        {
            var live = _end - _start;
            Buffer.BlockCopy(_buf, _start, _buf, 0, live);
            _bufferOffset += _start;
            _start = 0;
            _end = live;
        }
        if (_end == _buf.Length)
        {
            var bigger = new byte[Math.Min((long)_buf.Length * 2, Math.Max(_options.MaxRecordBytes + 1024L, _buf.Length))];
            if (bigger.Length <= _buf.Length) bigger = new byte[_buf.Length * 2];
            Buffer.BlockCopy(_buf, 0, bigger, 0, _end);
            _buf = bigger;
        }
        int n;
        try
        {
            n = _stream.Read(_buf, _end, _buf.Length - _end);
        }
        catch (InvalidDataException ex)
        {
            throw new LogFormatException(Error(_end, $"corrupt compressed input: {ex.Message}"), ex);
        }
        catch (IOException ex)
        {
            throw new LogFormatException(Error(_end, $"read failed: {ex.Message}"), ex);
        }
        if (n == 0) _eof = true;
        _end += n;
    }

    private LogFormatError Error(int bufferIndex, string reason)
    {
        var line = _line + _buf.AsSpan(_start, Math.Max(0, Math.Min(bufferIndex, _end) - _start)).Count((byte)'\n');
        return new LogFormatError(SourceName, line, _bufferOffset + bufferIndex, reason);
    }

    private ParseOutcome TryParse(SyscallRecord r, out int consumed, out LogFormatError? error)
    {
        consumed = 0;
        error = null;
        r.Reset();
        var span = new ReadOnlySpan<byte>(_buf, _start, _end - _start);
        var reader = new Utf8JsonReader(span, _eof, new JsonReaderState(ReaderOptions));
        try
        {
            var outcome = ParseObject(ref reader, r, out error);
            if (outcome == ParseOutcome.Ok) consumed = (int)reader.BytesConsumed;
            return outcome;
        }
        catch (JsonException ex)
        {
            var offset = _bufferOffset + _start + OffsetOf(span, ex.LineNumber ?? 0, ex.BytePositionInLine ?? 0);
            var truncated = _eof && offset >= _bufferOffset + _end;
            var reason = truncated ? $"truncated record at end of input ({TrimJsonMessage(ex.Message)})"
                : $"malformed JSON: {TrimJsonMessage(ex.Message)}";
            // Name the line the record starts on (a JSON Lines record that runs into the next line is an incomplete line).
            var detectedLine = _line + (ex.LineNumber ?? 0);
            if (detectedLine != _line) reason += $" (detected on line {detectedLine}, in the record that starts on line {_line})";
            error = new LogFormatError(SourceName, _line, offset, reason);
            return ParseOutcome.Malformed;
        }
        catch (InvalidOperationException ex)
        {
            error = Error(_start + (int)reader.TokenStartIndex, $"malformed value: {ex.Message}");
            return ParseOutcome.Malformed;
        }
    }

    private static long OffsetOf(ReadOnlySpan<byte> span, long lines, long column)
    {
        var pos = 0;
        for (var i = 0; i < lines; i++)
        {
            var nl = span[pos..].IndexOf((byte)'\n');
            if (nl < 0) break;
            pos += nl + 1;
        }
        return pos + column;
    }

    private static string TrimJsonMessage(string message)
    {
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    [Flags]
    private enum Seen : ushort
    {
        None = 0, No = 1, Cpu = 2, LogType = 4, Pid = 8, Tid = 16, ProcName = 32, Name = 64, SysNo = 128,
        Required = No | Cpu | LogType | Pid | Tid | ProcName | Name | SysNo,
    }

    private ParseOutcome ParseObject(ref Utf8JsonReader reader, SyscallRecord r, out LogFormatError? error)
    {
        error = null;
        if (!reader.Read()) return ParseOutcome.NeedMore;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            error = Error(_start, $"expected '{{' to start a record, found {Describe(reader.TokenType)}");
            return ParseOutcome.Malformed;
        }
        var seen = Seen.None;
        while (true)
        {
            if (!reader.Read()) return ParseOutcome.NeedMore;
            if (reader.TokenType == JsonTokenType.EndObject) break;
            var nameStart = (int)reader.TokenStartIndex;
            var name = reader.ValueIsEscaped ? Encoding.UTF8.GetBytes(reader.GetString()!) : reader.ValueSpan;
            if (!reader.Read()) return ParseOutcome.NeedMore;
            var field = Classify(name);
            if (reader.TokenType == JsonTokenType.Null && field is not (Field.Unknown or Field.No or Field.LogType))
                continue; // an optional value written as null: treat as absent
            switch (field)
            {
                case Field.No:
                    if (!ExpectInt64(ref reader, "no", out var no, out error)) return ParseOutcome.Malformed;
                    r.No = no;
                    seen |= Seen.No;
                    break;
                case Field.CpuId:
                    if (!ExpectInt64(ref reader, "cpu_id", out var cpu, out error)) return ParseOutcome.Malformed;
                    if (cpu is < 0 or > int.MaxValue) { error = FieldError(ref reader, "cpu_id", "out of range"); return ParseOutcome.Malformed; }
                    r.CpuId = (int)cpu;
                    seen |= Seen.Cpu;
                    break;
                case Field.LogType:
                    if (reader.TokenType != JsonTokenType.String || !LogTypeNames.TryParseUtf8(reader.ValueSpan, out var lt))
                    {
                        error = FieldError(ref reader, "logtype", "must be \"ENTER\", \"EXIT\" or \"LOSS\"");
                        return ParseOutcome.Malformed;
                    }
                    r.LogType = lt;
                    seen |= Seen.LogType;
                    break;
                case Field.ProcPid:
                    if (!ExpectHex(ref reader, "proc_pid", out var pid, out error)) return ParseOutcome.Malformed;
                    r.Pid = pid;
                    seen |= Seen.Pid;
                    break;
                case Field.ProcTid:
                    if (!ExpectHex(ref reader, "proc_tid", out var tid, out error)) return ParseOutcome.Malformed;
                    r.Tid = tid;
                    seen |= Seen.Tid;
                    break;
                case Field.ProcName:
                    if (!ExpectPooledString(ref reader, "proc_name", out var pn, out error)) return ParseOutcome.Malformed;
                    r.ProcName = pn;
                    seen |= Seen.ProcName;
                    break;
                case Field.Name:
                    if (!ExpectPooledString(ref reader, "name", out var nm, out error)) return ParseOutcome.Malformed;
                    r.Name = nm;
                    seen |= Seen.Name;
                    break;
                case Field.SysNo:
                    if (!ExpectHex(ref reader, "sys_no", out var sn, out error)) return ParseOutcome.Malformed;
                    r.SysNo = sn;
                    seen |= Seen.SysNo;
                    break;
                case Field.Type:
                    if (!ExpectPooledString(ref reader, "type", out var ty, out error)) return ParseOutcome.Malformed;
                    r.Type = ty;
                    break;
                case Field.RetVal:
                    if (!ExpectHex(ref reader, "ret_val", out var rv, out error)) return ParseOutcome.Malformed;
                    r.RetVal = rv;
                    break;
                case Field.AdditionalInfo:
                {
                    var o = ParseAdditionalInfo(ref reader, r.AdditionalInfo, out error);
                    if (o != ParseOutcome.Ok) return o;
                    break;
                }
                case Field.TimestampNs:
                    if (!ExpectInt64(ref reader, "timestamp_ns", out var ts, out error)) return ParseOutcome.Malformed;
                    r.TimestampNs = ts;
                    break;
                case Field.ProcPpid:
                    if (!ExpectHex(ref reader, "proc_ppid", out var ppid, out error)) return ParseOutcome.Malformed;
                    r.ParentPid = ppid;
                    break;
                case Field.ProcSeq:
                    if (!ExpectInt64(ref reader, "proc_seq", out var ps, out error)) return ParseOutcome.Malformed;
                    r.ProcSeq = ps;
                    break;
                case Field.Cr3:
                    if (!ExpectHex(ref reader, "cr3", out var cr3, out error)) return ParseOutcome.Malformed;
                    r.Cr3 = cr3;
                    break;
                case Field.Args:
                {
                    var o = ParseArgs(ref reader, r, out error);
                    if (o != ParseOutcome.Ok) return o;
                    break;
                }
                default:
                {
                    var key = _pool.Get(name);
                    var rawStart = (int)reader.TokenStartIndex;
                    if (!reader.TrySkip()) return ParseOutcome.NeedMore;
                    var raw = Encoding.UTF8.GetString(_buf, _start + rawStart, (int)reader.BytesConsumed - rawStart);
                    (r.ExtraFields ??= []).Add(new(key, raw));
                    _ = nameStart;
                    break;
                }
            }
        }

        var required = r.LogType == LogType.Loss && (seen & (Seen.No | Seen.LogType)) == (Seen.No | Seen.LogType)
            ? Seen.No | Seen.LogType
            : Seen.Required;
        if ((seen & required) != required)
        {
            error = Error(_start, $"record lacks required field(s): {MissingNames(required & ~seen)}");
            return ParseOutcome.Malformed;
        }
        return ParseOutcome.Ok;
    }

    private ParseOutcome ParseAdditionalInfo(ref Utf8JsonReader reader, AdditionalInfo info, out LogFormatError? error)
    {
        error = null;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            error = FieldError(ref reader, "additional_info", "must be an object");
            return ParseOutcome.Malformed;
        }
        while (true)
        {
            if (!reader.Read()) return ParseOutcome.NeedMore;
            if (reader.TokenType == JsonTokenType.EndObject) return ParseOutcome.Ok;
            var key = reader.ValueIsEscaped ? _pool.Get(reader.GetString()!) : _pool.Get(reader.ValueSpan);
            if (!reader.Read()) return ParseOutcome.NeedMore;
            if (reader.TokenType == JsonTokenType.String)
            {
                info.Append(key, InfoValue.String(reader.GetString()!));
            }
            else
            {
                var rawStart = (int)reader.TokenStartIndex;
                if (!reader.TrySkip()) return ParseOutcome.NeedMore;
                info.Append(key, InfoValue.Json(Encoding.UTF8.GetString(_buf, _start + rawStart, (int)reader.BytesConsumed - rawStart)));
            }
        }
    }

    private ParseOutcome ParseArgs(ref Utf8JsonReader reader, SyscallRecord r, out LogFormatError? error)
    {
        error = null;
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            error = FieldError(ref reader, "args", "must be an array of hex strings");
            return ParseOutcome.Malformed;
        }
        _argsScratch.Clear();
        while (true)
        {
            if (!reader.Read()) return ParseOutcome.NeedMore;
            if (reader.TokenType == JsonTokenType.EndArray) break;
            if (!ExpectHex(ref reader, "args", out var v, out error)) return ParseOutcome.Malformed;
            _argsScratch.Add(v);
        }
        r.Args = _argsScratch.ToArray();
        return ParseOutcome.Ok;
    }

    private bool ExpectInt64(ref Utf8JsonReader reader, string field, out long value, out LogFormatError? error)
    {
        error = null;
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out value)) return true;
        value = 0;
        error = FieldError(ref reader, field, "must be an integer");
        return false;
    }

    private bool ExpectHex(ref Utf8JsonReader reader, string field, out ulong value, out LogFormatError? error)
    {
        error = null;
        value = 0;
        if (reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped)
        {
            var s = reader.ValueSpan;
            if (s.Length is > 0 and <= 16 && Utf8Parser.TryParse(s, out value, out var used, 'x') && used == s.Length)
                return true;
        }
        error = FieldError(ref reader, field, "must be a hex string without 0x (e.g. \"21f4\")");
        return false;
    }

    private bool ExpectPooledString(ref Utf8JsonReader reader, string field, out string value, out LogFormatError? error)
    {
        error = null;
        if (reader.TokenType == JsonTokenType.String)
        {
            value = reader.ValueIsEscaped ? _pool.Get(reader.GetString()!) : _pool.Get(reader.ValueSpan);
            return true;
        }
        value = "";
        error = FieldError(ref reader, field, "must be a string");
        return false;
    }

    private LogFormatError FieldError(ref Utf8JsonReader reader, string field, string what) =>
        Error(_start + (int)reader.TokenStartIndex, $"field '{field}' {what}, found {Describe(reader.TokenType)}");

    private static string Describe(JsonTokenType t) => t switch
    {
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => t.ToString(),
    };

    private static string MissingNames(Seen missing)
    {
        var names = new List<string>();
        if (missing.HasFlag(Seen.No)) names.Add("no");
        if (missing.HasFlag(Seen.Cpu)) names.Add("cpu_id");
        if (missing.HasFlag(Seen.LogType)) names.Add("logtype");
        if (missing.HasFlag(Seen.Pid)) names.Add("proc_pid");
        if (missing.HasFlag(Seen.Tid)) names.Add("proc_tid");
        if (missing.HasFlag(Seen.ProcName)) names.Add("proc_name");
        if (missing.HasFlag(Seen.Name)) names.Add("name");
        if (missing.HasFlag(Seen.SysNo)) names.Add("sys_no");
        return string.Join(", ", names);
    }

    private enum Field
    {
        Unknown, No, CpuId, LogType, ProcPid, ProcTid, ProcName, Name, SysNo, Type, RetVal, AdditionalInfo,
        TimestampNs, ProcPpid, ProcSeq, Cr3, Args,
    }

    private static Field Classify(ReadOnlySpan<byte> n) => n.Length switch
    {
        2 when n.SequenceEqual("no"u8) => Field.No,
        3 when n.SequenceEqual("cr3"u8) => Field.Cr3,
        4 when n.SequenceEqual("name"u8) => Field.Name,
        4 when n.SequenceEqual("type"u8) => Field.Type,
        4 when n.SequenceEqual("args"u8) => Field.Args,
        6 when n.SequenceEqual("cpu_id"u8) => Field.CpuId,
        6 when n.SequenceEqual("sys_no"u8) => Field.SysNo,
        7 when n.SequenceEqual("logtype"u8) => Field.LogType,
        7 when n.SequenceEqual("ret_val"u8) => Field.RetVal,
        8 when n.SequenceEqual("proc_pid"u8) => Field.ProcPid,
        8 when n.SequenceEqual("proc_tid"u8) => Field.ProcTid,
        8 when n.SequenceEqual("proc_seq"u8) => Field.ProcSeq,
        9 when n.SequenceEqual("proc_name"u8) => Field.ProcName,
        9 when n.SequenceEqual("proc_ppid"u8) => Field.ProcPpid,
        12 when n.SequenceEqual("timestamp_ns"u8) => Field.TimestampNs,
        15 when n.SequenceEqual("additional_info"u8) => Field.AdditionalInfo,
        _ => Field.Unknown,
    };

    public void Dispose()
    {
        if (!_leaveOpen) _stream.Dispose();
    }
}
