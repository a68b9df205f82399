using Alkanet.Core.Json;
using Alkanet.Core.Records;

namespace Alkanet.Core.Sinks;

/// <summary>The file sink: the run's records as JSON Lines (gzip when the path ends in .gz).</summary>
public sealed class JsonLinesFileSink(string path) : IRecordSink
{
    private readonly JsonLinesWriter _writer = JsonLinesWriter.Create(path);

    public string Path { get; } = path;

    public long Count => _writer.RecordsWritten;

    public void Write(SyscallRecord record) => _writer.Write(record);

    public void Flush() => _writer.Flush();

    public void Dispose() => _writer.Dispose();
}
