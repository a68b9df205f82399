using System.Buffers;
using Alkanet.Core.Json;
using Alkanet.Core.Records;

namespace Alkanet.Logging.Storage;

/// <summary>Records together with their JSON Lines text, encoded once (on the connection's thread, off the
/// single writer's path) and then written to the run file as is.</summary>
public sealed class EncodedRecords
{
    private readonly ArrayBufferWriter<byte> _json = new(1 << 20);
    private readonly List<int> _lineStarts = [];
    private RecordJsonWriter? _writer;

    public List<SyscallRecord> Records { get; } = new(8192);

    public int Count { get; private set; }

    /// <summary>All lines, each ending in '\n'.</summary>
    public ReadOnlySpan<byte> Json => _json.WrittenSpan;

    public int LineStart(int index) => _lineStarts[index];

    public int LineEnd(int index) => index + 1 < Count ? _lineStarts[index + 1] : _json.WrittenCount;

    /// <summary>Encodes the first <paramref name="count"/> entries of <see cref="Records"/> as JSON lines, then keeps in
    /// each record only what the index and the run's counters read (numbers, log type, pid and tid, names, timestamp,
    /// parent pid; a LOSS marker whole): its values and arguments are in its line. The records ride the queue to the
    /// writer in pooled lists the GC has long promoted; their value strings, unreferenced here, die young instead of
    /// being promoted with them (that copying was ~8% of the logger's CPU). Called once per batch: compiled fully
    /// optimized at once (see <see cref="Wire.BatchDecoder.DecodeRaw"/>).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Encode(int count)
    {
        _writer ??= new RecordJsonWriter();
        _json.ResetWrittenCount();
        _lineStarts.Clear();
        for (var i = 0; i < count; i++)
        {
            _lineStarts.Add(_json.WrittenCount);
            var r = Records[i];
            _writer.WriteLine(r, _json);
            if (r.LogType == LogType.Loss) continue;
            r.AdditionalInfo.Clear();
            r.Args = [];
            r.ExtraFields = null;
        }
        Count = count;
    }

    /// <summary>Replaces the content with copies of <paramref name="records"/> (tests, tools, LOSS markers).</summary>
    public static EncodedRecords From(IReadOnlyList<SyscallRecord> records)
    {
        var e = new EncodedRecords();
        foreach (var r in records) e.Records.Add(r.Clone());
        e.Encode(records.Count);
        return e;
    }
}

/// <summary>A contiguous slice of an <see cref="EncodedRecords"/>.</summary>
public readonly record struct RecordSlice(EncodedRecords Source, int Start, int Count)
{
    public SyscallRecord this[int i] => Source.Records[Start + i];

    public ReadOnlySpan<byte> Json => Source.Json[Source.LineStart(Start)..Source.LineEnd(Start + Count - 1)];
}
