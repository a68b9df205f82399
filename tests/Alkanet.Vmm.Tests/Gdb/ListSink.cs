using Alkanet.Core.Records;
using Alkanet.Core.Sinks;

namespace Alkanet.Vmm.Tests.Gdb;

/// <summary>A sink that keeps copies, for assertions.</summary>
internal sealed class ListSink : IRecordSink
{
    public List<SyscallRecord> Records { get; } = [];

    public int Flushes { get; private set; }

    public void Write(SyscallRecord record) => Records.Add(record.Clone());

    public void Flush() => Flushes++;

    public void Dispose() { }
}
