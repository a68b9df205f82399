using System.Diagnostics;
using Alkanet.Logging.Storage;

namespace Alkanet.Logging.Tests.Faults;

/// <summary>The reproduction with the real commands: <c>alkanet logger</c> on a 40 MB tmpfs and
/// <c>alkanet logger send --synthetic 300000</c>. The sender once said "300000 records ... acknowledged ... 0 dropped"
/// and exited 0 while the run held a LOSS of 16,384 (or 131,072) acknowledged records.</summary>
public class SenderReportTests
{
    [Fact]
    public void On_a_disk_that_stays_full_the_sender_exits_1_saying_what_is_unacknowledged_and_the_logger_holds_no_loss()
    {
        using var disk = Tmpfs.TryMount(40, out var why);
        if (disk is null) Assert.Skip(why + "; DiskFaultTests' injected ENOSPC covers the state machine");
        var data = Path.Combine(disk.Path, "d");
        var port = StreamingTests.FreePort();
        using (var logger = new LoggerProcess(port, data, LoggerFixture.Token))
        {
            var send = RunCli("logger", "send", "--synthetic", "300000", "--to", $"127.0.0.1:{port}", "--token", LoggerFixture.Token,
                "--run", "full2", "--ack-timeout", "15");
            send.Code.ShouldBe(1, send.Output);
            send.Output.ShouldContain("did not acknowledge every record within 15 s: durable through no ");
            send.Output.ShouldContain("record(s) unacknowledged, 0 dropped");
            send.Output.ShouldNotContain("acknowledged in");
            logger.Output.ShouldContain("storage commit failed");
        }
        disk.Resize(400);
        using var store = new SqliteRunStore(data);
        var run = store.FindRun("full2").ShouldNotBeNull();
        run.LossRecords.ShouldBe(0, "a full disk never turns records into a LOSS");
        run.LastNo.ShouldBeLessThan(299_999);
        run.RecordCount.ShouldBe(run.LastNo + 1);
        new FileInfo(store.RunFilePath("full2")).Length.ShouldBe(ExportLength(store, "full2"));
    }

    private static long ExportLength(SqliteRunStore store, string runId)
    {
        using var s = store.OpenRunJsonLines(runId);
        return s.Length;
    }

    private static (int Code, string Output) RunCli(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(LoggerProcess.CliPath());
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit(TimeSpan.FromMinutes(5)).ShouldBeTrue("logger send finished");
        return (p.ExitCode, stdout + stderr.Result);
    }
}
