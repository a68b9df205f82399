using Alkanet.Core.Json;
using Alkanet.Core.Records;
using Alkanet.Logging.Storage;

namespace Alkanet.Logging.Tests;

/// <summary>After encoding, a batch's records keep what the index reads and their values live only in their JSON lines
/// (so the value strings die young); a LOSS marker, which the writer may cut, stays whole.</summary>
public sealed class EncodedRecordsTests
{
    [Fact]
    public void Values_move_into_the_json_lines_and_the_records_keep_the_indexed_fields_and_loss_markers_whole()
    {
        var call = TestRecords.Make(7);
        call.AdditionalInfo.Set("FileName", "C:\\\\x.txt");
        call.Args = [1, 2, 3];
        var originalJson = RecordJson.Serialize(call);
        var loss = SyscallRecord.LossMarker(8, 20, "tracer buffer full");
        var e = EncodedRecords.From([call, loss]);

        var lines = System.Text.Encoding.UTF8.GetString(e.Json).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines[0].ShouldBe(originalJson);
        RecordJson.Parse(lines[1]).LastCoveredNo.ShouldBe(20);
        var kept = e.Records[0];
        (kept.No, kept.Pid, kept.ProcName, kept.Name, kept.TimestampNs, kept.ParentPid)
            .ShouldBe((call.No, call.Pid, call.ProcName, call.Name, call.TimestampNs, call.ParentPid));
        kept.AdditionalInfo.Count.ShouldBe(0);
        kept.Args.ShouldBeEmpty();
        e.Records[1].LastCoveredNo.ShouldBe(20);
        e.Records[1].AdditionalInfo[LossFields.Reason].ShouldBe("tracer buffer full");
    }
}
