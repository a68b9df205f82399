using Alkanet.Core.Records;

namespace Alkanet.Core.Sinks;

/// <summary>Where finished records go: a file, the wire to the logging machine, a test's list.
/// <see cref="Write"/> may block to apply back-pressure; a sink that keeps a record must copy it,
/// because the caller reuses the instance.</summary>
public interface IRecordSink : IDisposable
{
    void Write(SyscallRecord record);

    /// <summary>Makes everything written so far durable (or delivered) before returning.</summary>
    void Flush();
}
