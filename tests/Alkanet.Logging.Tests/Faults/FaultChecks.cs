using Alkanet.Core.Records;
using Alkanet.Logging.Client;
using Alkanet.Logging.Storage;

namespace Alkanet.Logging.Tests.Faults;

/// <summary>The three promises every fault test checks (docs/RELIABILITY.md): nothing acknowledged is lost, every gap
/// is an explicit LOSS marker with its reason, and the sender's report is true.</summary>
internal static class FaultChecks
{
    /// <summary>Checks the stored run against what <paramref name="client"/> believes (it was given records numbered from
    /// 0, <paramref name="sent"/> of them when <paramref name="flushed"/>), and returns the records the run holds as LOSS.</summary>
    public static long ShouldKeepItsPromises(SqliteRunStore store, string runId, LoggerClient client, long sent, bool flushed)
    {
        var info = store.FindRun(runId).ShouldNotBeNull();
        // 1. nothing acknowledged is lost: all the tracer was told is durable is stored, in order, once
        info.LastNo.ShouldBeGreaterThanOrEqualTo(client.LastAckedNo, "the tracer was told records are durable that are not stored");
        var lost = info.LastNo < 0 ? 0 : RunChecks.ShouldBeCompleteRun(store, store.RunFilePath(runId), runId, 0, info.LastNo);
        // 2. every gap is an explicit LOSS with its reason
        foreach (var loss in LossMarkers(store, runId))
            loss.AdditionalInfo.TryGet(LossFields.Reason, out var reason).ShouldBeTrue($"LOSS at {loss.No} without a reason");
        // 3. the sender's report is true: "all acknowledged, N dropped" only when that is what is stored
        if (flushed)
        {
            info.LastNo.ShouldBe(sent - 1, "the sender said every record was acknowledged");
            lost.ShouldBe(client.RecordsDropped, "the sender's count of dropped records is what the run holds as LOSS");
        }
        else
        {
            client.BufferedRecords.ShouldBeGreaterThan(0, "a sender that could not flush must know records are unacknowledged");
            (client.LastAckedNo + 1 + client.BufferedRecords).ShouldBeGreaterThanOrEqualTo(client.RecordsWritten,
                "every record written is acknowledged (so stored) or still held by the sender to resend");
        }
        return lost;
    }

    public static List<SyscallRecord> LossMarkers(IRunStore store, string runId)
    {
        using var reader = new Alkanet.Core.Json.JsonLinesReader(store.OpenRunJsonLines(runId), "export");
        var list = new List<SyscallRecord>();
        var r = new SyscallRecord();
        while (reader.TryRead(r))
            if (r.LogType == LogType.Loss)
            {
                list.Add(r);
                r = new SyscallRecord();
            }
        return list;
    }
}
