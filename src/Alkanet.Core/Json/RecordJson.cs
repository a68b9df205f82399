using System.Buffers;
using System.Text;
using Alkanet.Core.Records;

namespace Alkanet.Core.Json;

/// <summary>One-record conveniences over the streaming codec (tests, the wire, small tools).</summary>
public static class RecordJson
{
    public static string Serialize(SyscallRecord record, bool indented = false)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        new RecordJsonWriter(indented).Write(record, buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static SyscallRecord Parse(string json, string sourceName = "<string>")
    {
        using var reader = new JsonLinesReader(new MemoryStream(Encoding.UTF8.GetBytes(json)), sourceName);
        var r = new SyscallRecord();
        if (!reader.TryRead(r)) throw new LogFormatException(new LogFormatError(sourceName, 1, 0, "no record in input"));
        return r;
    }
}
