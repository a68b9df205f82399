using Alkanet.Core.Sinks;

namespace Alkanet.Vmm.Live;

/// <summary>Writes every record to several sinks (the file and, e.g., the logging client).</summary>
public sealed class FanOutSink(IReadOnlyList<IRecordSink> sinks) : IRecordSink
{
    public void Write(Core.Records.SyscallRecord record) { foreach (var s in sinks) s.Write(record); }

    public void Flush() { foreach (var s in sinks) s.Flush(); }

    public void Dispose() { foreach (var s in sinks) s.Dispose(); }
}
