using System.Buffers;
using System.Globalization;
using System.Text;
using Alkanet.Core.Records;

namespace Alkanet.Logging.Wire;

/// <summary>A sealed batch: records <see cref="FirstNo"/>..<see cref="LastNo"/> (contiguous, LOSS markers
/// covering their ranges) in the compact binary form, self-contained so it can be resent on any connection.</summary>
public sealed class EncodedBatch(long firstNo, long lastNo, int count, byte[] raw, int rawLength)
{
    private byte[]? _brotliFrameBody;

    public long FirstNo { get; } = firstNo;

    /// <summary>The last <c>no</c> covered (a trailing LOSS marker covers up to its last lost number).</summary>
    public long LastNo { get; } = lastNo;

    public int Count { get; } = count;

    public ReadOnlyMemory<byte> Raw { get; } = raw.AsMemory(0, rawLength);

    /// <summary>The batch frame body for a connection that negotiated <paramref name="compression"/>;
    /// compressed once and kept, since a resend needs the same bytes.</summary>
    public byte[] FrameBody(WireCompression compression)
    {
        if (compression == WireCompression.Brotli && _brotliFrameBody is { } cached) return cached;
        // raw (a loopback logger): the body is the header and one copy of the batch
        var payload = compression == WireCompression.None ? Raw.Span : WireCompressionCodec.Compress(compression, Raw.Span);
        var body = new byte[5 + payload.Length];
        body[0] = (byte)compression;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(1), (uint)Raw.Length);
        payload.CopyTo(body.AsSpan(5));
        if (compression == WireCompression.Brotli) _brotliFrameBody = body;
        return body;
    }
}

/// <summary>
/// Encodes records into the wire's binary batch form (docs/LOGGING.md, "Batch body"):
/// <c>i64 firstNo, varuint count</c>, then per record: zigzag delta of <c>no</c> from the expected next
/// number, cpu, logtype, pid, tid, proc_name, name, sys_no, type, ret_val, a flags byte for the optional
/// fields (timestamp as a delta from the previous one), args, additional_info, unknown extra fields.
/// Strings that repeat (names, keys) are sent once per batch and referenced by index afterwards.
/// </summary>
public sealed class BatchEncoder
{
    internal const byte FlagTimestamp = 1, FlagPpid = 2, FlagProcSeq = 4, FlagCr3 = 8, FlagArgs = 16, FlagExtra = 32;

    private readonly ArrayBufferWriter<byte> _out = new(256 * 1024);
    private readonly Dictionary<string, int> _strings = new(StringComparer.Ordinal);
    private long _expectedNo;
    private long _prevTs;

    public int Count { get; private set; }

    public long FirstNo { get; private set; }

    /// <summary>The last <c>no</c> covered so far.</summary>
    public long LastNo { get; private set; }

    public int ByteCount => _out.WrittenCount;

    public void Add(SyscallRecord r)
    {
        var w = _out;
        if (Count == 0)
        {
            FirstNo = r.No;
            _expectedNo = r.No;
            w.WriteInt64(r.No);
            w.WriteUInt32(0); // count, patched on seal (fixed width so the header does not move)
        }
        w.WriteVarInt(r.No - _expectedNo);
        w.WriteVarUInt((ulong)r.CpuId);
        w.WriteByte((byte)r.LogType);
        w.WriteVarUInt(r.Pid);
        w.WriteVarUInt(r.Tid);
        WriteRef(r.ProcName);
        WriteRef(r.Name);
        w.WriteVarUInt(r.SysNo);
        WriteRef(r.Type);
        w.WriteVarUInt(r.RetVal);
        byte flags = 0;
        if (r.TimestampNs.HasValue) flags |= FlagTimestamp;
        if (r.ParentPid.HasValue) flags |= FlagPpid;
        if (r.ProcSeq.HasValue) flags |= FlagProcSeq;
        if (r.Cr3.HasValue) flags |= FlagCr3;
        if (r.Args.Length > 0) flags |= FlagArgs;
        if (r.ExtraFields is { Count: > 0 }) flags |= FlagExtra;
        w.WriteByte(flags);
        if (r.TimestampNs is { } ts)
        {
            w.WriteVarInt(ts - _prevTs);
            _prevTs = ts;
        }
        if (r.ParentPid is { } ppid) w.WriteVarUInt(ppid);
        if (r.ProcSeq is { } seq) w.WriteVarInt(seq);
        if (r.Cr3 is { } cr3) w.WriteVarUInt(cr3);
        if (r.Args.Length > 0)
        {
            w.WriteVarUInt((ulong)r.Args.Length);
            foreach (var a in r.Args) w.WriteVarUInt(a);
        }
        w.WriteVarUInt((ulong)r.AdditionalInfo.Count);
        foreach (var (key, value) in r.AdditionalInfo)
        {
            WriteRef(key);
            w.WriteByte((byte)value.Kind);
            w.WriteString(value.Text);
            if (value.HasUnreadable) w.WriteVarUInt(value.Address);
        }
        if (r.ExtraFields is { Count: > 0 } extra)
        {
            w.WriteVarUInt((ulong)extra.Count);
            foreach (var (key, raw) in extra)
            {
                WriteRef(key);
                w.WriteString(raw);
            }
        }
        LastNo = r.LastCoveredNo;
        _expectedNo = LastNo + 1;
        Count++;
    }

    private void WriteRef(string s)
    {
        if (_strings.TryGetValue(s, out var index))
        {
            _out.WriteVarUInt((ulong)index + 1);
            return;
        }
        _out.WriteVarUInt(0);
        _out.WriteString(s);
        _strings.Add(s, _strings.Count);
    }

    /// <summary>Ends the batch and starts an empty one.</summary>
    public EncodedBatch Seal()
    {
        if (Count == 0) throw new InvalidOperationException("empty batch");
        var raw = _out.WrittenSpan.ToArray();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(raw.AsSpan(8), (uint)Count);
        var batch = new EncodedBatch(FirstNo, LastNo, Count, raw, raw.Length);
        _out.ResetWrittenCount();
        _strings.Clear();
        Count = 0;
        _prevTs = 0;
        return batch;
    }
}

/// <summary>Decodes a batch body (compression header + records). Everything is bounds-checked: a hostile
/// body yields a <see cref="ProtocolException"/>, never another exception or a huge allocation.</summary>
public sealed class BatchDecoder
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);
    private readonly List<string> _strings = [];
    private readonly Dictionary<int, string> _internCache = [];
    private byte[] _scratch = new byte[256 * 1024];

    /// <summary>Decodes into <paramref name="records"/>, reusing its instances and growing it as needed;
    /// returns how many records the batch held (entries past that are stale).</summary>
    public int Decode(ReadOnlySpan<byte> frameBody, List<SyscallRecord> records)
    {
        var h = new WireReader(frameBody);
        var compression = (WireCompression)h.ReadByte("batch compression");
        var rawLength = h.ReadUInt32("batch raw length");
        if (rawLength > WireLimits.MaxBatchBytes)
            throw new ProtocolException($"batch of {rawLength} bytes exceeds the cap of {WireLimits.MaxBatchBytes}");
        if (rawLength < 12) throw new ProtocolException($"batch of {rawLength} bytes is shorter than its header");
        if (compression != WireCompression.None && compression != WireCompression.Brotli)
            throw new ProtocolException($"unknown batch compression {(byte)compression}");
        if (compression == WireCompression.None)
        {
            // a raw batch (loopback) is decoded where it lies in the frame, without a copy
            if (frameBody.Length - 5 != rawLength)
                throw new ProtocolException($"batch length {frameBody.Length - 5} differs from the declared {rawLength}");
            return DecodeRaw(frameBody[5..], records);
        }
        if (_scratch.Length < rawLength) _scratch = new byte[Math.Max(rawLength, _scratch.Length * 2)];
        var raw = _scratch.AsSpan(0, (int)rawLength);
        WireCompressionCodec.Decompress(compression, frameBody[5..], raw);
        return DecodeRaw(raw, records);
    }

    /// <summary>Called once per batch and loops over its thousands of records: compiled fully optimized at once, so its loop
    /// never runs as tier-0 or instrumented code while the JIT's tiering catches up (seconds on a loaded machine).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public int DecodeRaw(ReadOnlySpan<byte> raw, List<SyscallRecord> records)
    {
        var r = new WireReader(raw);
        var firstNo = r.ReadInt64("first no");
        if (firstNo is < 0 or > WireLimits.MaxRecordNo)
            throw new ProtocolException($"batch's first no {firstNo} is outside 0..{WireLimits.MaxRecordNo}");
        var count = r.ReadUInt32("record count");
        if (count == 0 || count > WireLimits.MaxBatchRecords)
            throw new ProtocolException($"batch record count {count} out of range 1..{WireLimits.MaxBatchRecords}");
        // every record takes at least 13 bytes: refuse counts the body cannot hold before allocating
        if (count > (uint)r.Remaining / 13 + 1) throw new ProtocolException($"batch claims {count} records in {r.Remaining} bytes");
        _strings.Clear();
        var expected = firstNo;
        long prevTs = 0;
        for (var i = 0; i < count; i++)
        {
            if (records.Count <= i) records.Add(new SyscallRecord());
            var rec = records[i];
            rec.Reset();
            // a hostile delta must not overflow: every number stays in 0..MaxRecordNo (expected is in range here)
            var delta = r.ReadVarInt("no delta");
            if (expected > WireLimits.MaxRecordNo || delta < -expected || delta > WireLimits.MaxRecordNo - expected)
                throw new ProtocolException($"record {i}'s no ({expected} + {delta}) is outside 0..{WireLimits.MaxRecordNo}");
            rec.No = expected + delta;
            var cpu = r.ReadVarUInt("cpu_id");
            if (cpu > int.MaxValue) throw new ProtocolException($"cpu_id {cpu} out of range in record {i}");
            rec.CpuId = (int)cpu;
            var lt = (LogType)r.ReadByte("logtype");
            if (lt is not (LogType.Enter or LogType.Exit or LogType.Loss)) throw new ProtocolException($"unknown logtype {(byte)lt} in record {i}");
            rec.LogType = lt;
            rec.Pid = r.ReadVarUInt("proc_pid");
            rec.Tid = r.ReadVarUInt("proc_tid");
            rec.ProcName = ReadRef(ref r, "proc_name");
            rec.Name = ReadRef(ref r, "name");
            rec.SysNo = r.ReadVarUInt("sys_no");
            rec.Type = ReadRef(ref r, "type");
            rec.RetVal = r.ReadVarUInt("ret_val");
            var flags = r.ReadByte("flags");
            if ((flags & ~0x3F) != 0) throw new ProtocolException($"unknown flags {flags:x2} in record {i}");
            if ((flags & BatchEncoder.FlagTimestamp) != 0)
            {
                prevTs = unchecked(prevTs + r.ReadVarInt("timestamp delta"));
                rec.TimestampNs = prevTs;
            }
            if ((flags & BatchEncoder.FlagPpid) != 0) rec.ParentPid = r.ReadVarUInt("proc_ppid");
            if ((flags & BatchEncoder.FlagProcSeq) != 0) rec.ProcSeq = r.ReadVarInt("proc_seq");
            if ((flags & BatchEncoder.FlagCr3) != 0) rec.Cr3 = r.ReadVarUInt("cr3");
            if ((flags & BatchEncoder.FlagArgs) != 0)
            {
                var args = new ulong[r.ReadCount("args count", WireLimits.MaxListEntries)];
                for (var a = 0; a < args.Length; a++) args[a] = r.ReadVarUInt("arg");
                rec.Args = args;
            }
            var infoCount = r.ReadCount("additional_info count", WireLimits.MaxListEntries);
            for (var k = 0; k < infoCount; k++)
            {
                var key = ReadRef(ref r, "additional_info key");
                var kind = (InfoValueKind)r.ReadByte("additional_info kind");
                if (kind > InfoValueKind.PartlyUnreadableJson) throw new ProtocolException($"bad additional_info kind {(byte)kind} in record {i}");
                var text = r.ReadString("additional_info value");
                var address = kind is InfoValueKind.Unreadable or InfoValueKind.PartlyUnreadableJson ? r.ReadVarUInt("unreadable address") : 0;
                rec.AdditionalInfo.Set(key, new InfoValue(text, kind, address));
            }
            if ((flags & BatchEncoder.FlagExtra) != 0)
            {
                var n = r.ReadCount("extra field count", WireLimits.MaxListEntries);
                var extra = new List<KeyValuePair<string, string>>(n);
                for (var k = 0; k < n; k++) extra.Add(new(ReadRef(ref r, "extra key"), r.ReadString("extra value")));
                rec.ExtraFields = extra;
            }
            if (lt == LogType.Loss) CheckLossRange(rec, i);
            if (rec.No < expected) throw new ProtocolException($"record {i} has no {rec.No}, behind the batch's running number {expected}");
            if (rec.No > expected) throw new ProtocolException($"record {i} has no {rec.No}, a gap after {expected - 1} inside a batch");
            expected = rec.LastCoveredNo + 1;
        }
        r.ExpectEnd("batch");
        return (int)count;
    }

    /// <summary>A LOSS marker's range must be a real range of record numbers: first..last with last parsed, not below
    /// first and not past <see cref="WireLimits.MaxRecordNo"/> (a marker covering 2^62 numbers would be stored as such).</summary>
    private static void CheckLossRange(SyscallRecord rec, int i)
    {
        if (!rec.AdditionalInfo.TryGet(LossFields.Last, out var lastText)
            || !long.TryParse(lastText.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var last))
            throw new ProtocolException($"LOSS marker in record {i} (no {rec.No}) has no valid {LossFields.Last}");
        if (last < rec.No || last > WireLimits.MaxRecordNo)
            throw new ProtocolException($"LOSS marker in record {i} covers {rec.No}..{last}, not a range inside {rec.No}..{WireLimits.MaxRecordNo}");
    }

    private string ReadRef(ref WireReader r, string field)
    {
        var v = r.ReadVarUInt(field);
        if (v == 0)
        {
            if (_strings.Count >= WireLimits.MaxBatchRecords * 4) throw new ProtocolException("too many strings in one batch");
            var bytes = r.ReadBytes(field, WireLimits.MaxStringBytes);
            var s = Intern(bytes, field);
            _strings.Add(s);
            return s;
        }
        if (v > (ulong)_strings.Count) throw new ProtocolException($"{field} refers to string {v - 1}, but only {_strings.Count} are defined");
        return _strings[(int)(v - 1)];
    }

    /// <summary>Names repeat across batches; keep one instance per short string so records share them.</summary>
    private string Intern(ReadOnlySpan<byte> bytes, string field)
    {
        string s;
        try
        {
            s = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new ProtocolException($"{field} is not valid UTF-8");
        }
        if (bytes.Length > 64) return s;
        var hash = string.GetHashCode(s, StringComparison.Ordinal);
        if (_internCache.TryGetValue(hash, out var known) && known == s) return known;
        if (_internCache.Count > 65536) _internCache.Clear();
        _internCache[hash] = s;
        return s;
    }
}
