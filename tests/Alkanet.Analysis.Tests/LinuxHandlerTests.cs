using Alkanet.Analysis.Model;
using Alkanet.Core.Records;

namespace Alkanet.Analysis.Tests;

/// <summary>The report's Linux handlers read only what Alkanet's tracer writes: each handled call is one Core's
/// <see cref="LinuxDecodedCalls"/> names (the list the tracer's decoder is built from).</summary>
public class LinuxHandlerTests
{
    [Fact]
    public void Every_Linux_call_the_report_handles_is_decoded_by_the_tracer()
    {
        Analyzer.LinuxHandlers.Count.ShouldBeGreaterThan(0);
        var undecoded = Analyzer.LinuxHandlers.Keys.Where(call => !LinuxDecodedCalls.IsDecoded(call)).ToList();
        undecoded.ShouldBeEmpty("handled by Analyzer.LinuxHandlers but absent from LinuxDecodedCalls: " + string.Join(", ", undecoded));
    }

    [Theory]
    [InlineData("writev")]
    [InlineData("pwritev")]
    [InlineData("pwritev2")]
    [InlineData("pwrite64")]
    public void A_vectored_or_positioned_write_is_a_file_write_of_the_file_its_fd_names(string call)
    {
        // the keys the tracer's decoder writes for these calls: fd, fd_path (from the task's fd table), iov_count, size
        var log = Path.Combine(Path.GetTempPath(), $"alkanet-{call}-{Guid.NewGuid():n}.jsonl");
        File.WriteAllLines(log,
        [
            Line(1, "ENTER", call, "0", """{"fd": "4", "fd_path": "/var/tmp/exfil.log", "iov_count": "3", "size": "214"}"""),
            Line(2, "EXIT", call, "214", "{}"),
        ]);
        try
        {
            TestLogs.Report(log, "mal").Behaviour.ShouldContain(i => i.Kind == "file_write" && i.Object == "/var/tmp/exfil.log");
        }
        finally
        {
            File.Delete(log);
        }
    }

    private static string Line(int no, string side, string call, string ret, string info) =>
        $$"""{"no": {{no}}, "cpu_id": 0, "logtype": "{{side}}", "proc_pid": "65", "proc_tid": "65", "proc_name": "mal","""
        + $$""" "name": "{{call}}", "sys_no": "14", "type": "syscall", "ret_val": "{{ret}}", "additional_info": {{info}},"""
        + $$""" "timestamp_ns": {{1700000000000000000 + no}}, "proc_ppid": "1"}""";
}
