using Alkanet.Core.Records;

namespace Alkanet.Logging.Storage;

/// <summary>A run's counters as one commit moves them, record by record: records and LOSS-covered numbers added,
/// first and last <c>no</c>, first and last timestamp. Every <see cref="IRunStore"/> keeps its runs' row the same way.</summary>
public struct RunTally(long firstNo, long lastNo, long? firstTs, long? lastTs)
{
    public long Count;
    public long Loss;
    public long FirstNo = firstNo;
    public long LastNo = lastNo;
    public long? FirstTs = firstTs;
    public long? LastTs = lastTs;

    public void Add(SyscallRecord r)
    {
        if (r.LogType == LogType.Loss) Loss += r.LastCoveredNo - r.No + 1;
        if (r.TimestampNs is { } t)
        {
            FirstTs ??= t;
            LastTs = t;
        }
        if (FirstNo < 0) FirstNo = r.No;
        LastNo = r.LastCoveredNo;
        Count++;
    }
}
