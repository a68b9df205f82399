using System.Buffers.Text;
using System.Text;
using Alkanet.Core.Json;
using Alkanet.Core.Records;
using Microsoft.Win32.SafeHandles;

namespace Alkanet.Logging.Storage;

/// <summary>
/// Reads the lines of one block of a run file and picks those a <see cref="RecordQuery"/> wants. Without a pid, process
/// or call filter only each line's leading <c>"no"</c> is read (the logger writes it first); with one, each line is
/// parsed. Reads never go past the run's committed length, so a line being written is never half-read.
/// </summary>
internal sealed class BlockScanner(SafeFileHandle file, long committed, RecordQuery query, long? procId, long? callId)
{
    private static readonly byte[] NoPrefix = "{\"no\":"u8.ToArray();
    private readonly bool _filtered = query.Pid is not null || procId is not null || callId is not null;
    private byte[] _buf = new byte[1 << 16];
    private readonly List<(int Start, int End)> _lines = [];
    private readonly List<bool> _matched = [];

    /// <summary>Adds the block's wanted lines to <paramref name="into"/>: in file order, or newest first with
    /// <see cref="RecordQuery.Newest"/>, until it holds <paramref name="limit"/>. Returns false once it is full.</summary>
    public bool Scan(BlockRow block, List<string> into, int limit, Func<SyscallRecord, bool> matches)
    {
        var end = Math.Min(block.End, committed);
        if (end <= block.Off) return into.Count < limit;
        var length = (int)(end - block.Off);
        if (_buf.Length < length) _buf = new byte[Math.Max(length, _buf.Length * 2)];
        var got = 0;
        while (got < length)
        {
            var n = RandomAccess.Read(file, _buf.AsSpan(got, length - got), block.Off + got);
            if (n == 0) break;
            got += n;
        }
        _lines.Clear();
        for (var start = 0; start < got;)
        {
            var nl = _buf.AsSpan(start, got - start).IndexOf((byte)'\n');
            if (nl < 0) break; // torn line: never counted as committed
            _lines.Add((start, start + nl));
            start += nl + 1;
        }
        if (_filtered) MatchAll(block, got, matches);
        for (var k = 0; k < _lines.Count; k++)
        {
            var index = query.Newest ? _lines.Count - 1 - k : k;
            var (s, e) = _lines[index];
            var line = _buf.AsSpan(s, e - s);
            var no = LeadingNo(line);
            if (query.AfterNo is { } after && no <= after)
            {
                if (query.Newest) return into.Count < limit;
                continue;
            }
            if (query.BeforeNo is { } before && no >= before)
            {
                if (query.Newest) continue;
                return false;
            }
            if (_filtered && !_matched[index]) continue;
            into.Add(Encoding.UTF8.GetString(line));
            if (into.Count >= limit) return false;
        }
        return into.Count < limit;
    }

    /// <summary>The record's number from its line's start; a line in another shape (a log imported from elsewhere) is parsed.</summary>
    private static long LeadingNo(ReadOnlySpan<byte> line)
    {
        if (line.StartsWith(NoPrefix) && Utf8Parser.TryParse(line[NoPrefix.Length..], out long no, out var used)
            && NoPrefix.Length + used < line.Length && line[NoPrefix.Length + used] == (byte)',')
            return no;
        return RecordJson.Parse(Encoding.UTF8.GetString(line)).No;
    }

    /// <summary>Parses the block's lines once, in order, and marks those the filter keeps.</summary>
    private void MatchAll(BlockRow block, int length, Func<SyscallRecord, bool> matches)
    {
        _matched.Clear();
        using var reader = new JsonLinesReader(new MemoryStream(_buf, 0, length, writable: false), $"run file block at offset {block.Off}");
        var record = new SyscallRecord();
        while (_matched.Count < _lines.Count && reader.TryRead(record)) _matched.Add(matches(record));
        if (_matched.Count < _lines.Count)
            throw new LogFormatException(new LogFormatError(reader.SourceName, _matched.Count + 1, 0, "a line holds no record"));
    }
}
