using Alkanet.Cli.Commands;
using Alkanet.Logging.Client;
using Alkanet.Ring;

namespace Alkanet.Cli.Tests;

/// <summary>`alkanet run --logger`: records reach a real `alkanet logger` and the local file alike, and the
/// logger's control (through `alkanet logger control`) reaches the tracer.</summary>
public sealed class RunLoggerTests
{
    [Fact]
    public void Logger_options_are_checked_before_anything_runs()
    {
        var noToken = CliRunner.Run("run", "samples/dropper", "--logger", "127.0.0.1:9");
        noToken.ExitCode.ShouldBe(ExitCodes.Usage);
        noToken.Err.ShouldContain("--logger needs the logger's token");
        var badEndpoint = CliRunner.Run("run", "samples/dropper", "--logger", "nowhere", "--token", "t");
        badEndpoint.ExitCode.ShouldBe(ExitCodes.Usage);
        badEndpoint.Err.ShouldContain("'nowhere' is not HOST:PORT");
        var orphan = CliRunner.Run("run", "samples/dropper", "--run-id", "x");
        orphan.ExitCode.ShouldBe(ExitCodes.Usage);
        orphan.Err.ShouldContain("need --logger");
    }

    [Fact]
    public void A_logger_refusing_the_token_stops_the_run_before_the_guest_boots()
    {
        RunLive.Require(); // the sample is compiled first
        using var data = new TempDir();
        using var logger = new LoggerChild(data.File("logger"), "right-token-1");
        var r = CliRunner.Run("run", RunLive.Sample("dropper"), "--out", data.File("out"), "--logger", logger.Endpoint, "--token", "wrong-token", "--run-id", "refused");
        r.ExitCode.ShouldBe(ExitCodes.Failure);
        r.Err.ShouldContain("refused run 'refused'");
        File.Exists(data.File("out/trace.jsonl")).ShouldBeFalse("nothing was traced");
    }

    [Fact]
    public void Pause_resume_filter_and_stop_from_the_logger_reach_the_ring()
    {
        using var data = new TempDir();
        using var logger = new LoggerChild(data.File("logger"), "test-token-tok");
        using var client = LoggerClient.Connect(new LoggerClientOptions { Endpoint = logger.Endpoint, Token = "test-token-tok", RunId = "ctl", WaitForStart = true });
        client.WaitConnected(TimeSpan.FromSeconds(20)).ShouldBeTrue(client.LastError);
        var link = new RunLoggerLink(client, TimeSpan.FromSeconds(10));
        var ringPath = Path.Combine("/dev/shm", $"alkanet-test-{Guid.NewGuid():N}.ring");
        try
        {
            using var ring = TraceRing.Create(ringPath, slotCount: 16);
            link.Attach(ring);
            ring.Paused.ShouldBeTrue("a tracer told to wait for start begins paused");
            Send(logger, "start");
            WaitFor(() => !ring.Paused, "start un-pauses the ring");
            Send(logger, "pause");
            WaitFor(() => ring.Paused, "pause sets the ring's pause flag");
            Send(logger, "resume");
            WaitFor(() => !ring.Paused, "resume clears it");
            Send(logger, "setfilter", "--pids", "2a");
            WaitFor(() => ring.FilterPid == 0x2a, "a one-pid filter goes into the ring (the hook skips other processes)");
            link.Keep(new Core.Records.SyscallRecord { Pid = 0x2a, ProcName = "a", Name = "read" }).ShouldBeTrue();
            link.Keep(new Core.Records.SyscallRecord { Pid = 0x2b, ProcName = "a", Name = "read" }).ShouldBeFalse();
            Send(logger, "setfilter", "--processes", "run", "--calls", "ptrace");
            WaitFor(() => ring.FilterPid == 0, "a name filter is the drain's: the ring filter is cleared");
            link.Keep(new Core.Records.SyscallRecord { Pid = 9, ProcName = "run", Name = "ptrace" }).ShouldBeTrue();
            link.Keep(new Core.Records.SyscallRecord { Pid = 9, ProcName = "run", Name = "read" }).ShouldBeFalse();
            link.Keep(Core.Records.SyscallRecord.LossMarker(5, 6, "ring_full")).ShouldBeTrue("loss markers always pass");
            Send(logger, "stop");
            WaitFor(() => link.StopRequested.IsCancellationRequested, "stop ends the run");
            ring.Paused.ShouldBeTrue("nothing is produced after a stop");
            link.Detach(ring);
        }
        finally
        {
            File.Delete(ringPath);
        }
        Send(logger, "status"); // after Detach: a command must not touch the unmapped ring (it crashed the process once)
    }

    private static void Send(LoggerChild logger, string command, params string[] more)
    {
        var r = logger.Control("ctl", command, more);
        r.ExitCode.ShouldBe(0, r.Err + r.Out);
    }

    private static void WaitFor(Func<bool> condition, string what)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            if (DateTime.UtcNow > until) Assert.Fail("timed out: " + what);
            Thread.Sleep(20);
        }
    }

    [Fact]
    public void A_live_run_streams_to_the_logger_and_obeys_its_filter_pause_and_stop()
    {
        RunLive.Require();
        using var data = new TempDir();
        using var logger = new LoggerChild(data.File("logger"), "test-token-tok");
        var outDir = data.File("out");
        // antianalysis: TRACEME, PR_SET_NAME kworker, then a 2 s sleep; the run waits for the logger's start.
        CliRunner.Result? result = null;
        var run = new Thread(() => result = CliRunner.Run("run", RunLive.Sample("antianalysis"), "--out", outDir, "--logger", logger.Endpoint,
            "--token", "test-token-tok", "--run-id", "live", "--wait-for-start", "--timeout", "90s")) { IsBackground = true };
        run.Start();
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (logger.Control("live", "status").ExitCode != 0)
        {
            if (!run.IsAlive || DateTime.UtcNow > until) Assert.Fail("the tracer never connected: " + result?.Err);
            Thread.Sleep(50);
        }
        logger.Control("live", "setfilter", "--processes", "antianalysis,kworker").ExitCode.ShouldBe(0);
        logger.Control("live", "start").ExitCode.ShouldBe(0);
        // Once the sample starts its sleep, pause and stop: its sleep's return and its exit must never be recorded.
        until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!StoredText(logger.RunFile("live")).Contains("\"clock_nanosleep\"", StringComparison.Ordinal))
        {
            if (!run.IsAlive || DateTime.UtcNow > until) Assert.Fail("no sleep seen: " + result?.Err);
            Thread.Sleep(20);
        }
        logger.Control("live", "pause").ExitCode.ShouldBe(0);
        logger.Control("live", "stop").ExitCode.ShouldBe(0);
        run.Join(TimeSpan.FromSeconds(60)).ShouldBeTrue("the run ends on the logger's stop");
        var r = result!;
        r.ExitCode.ShouldBe(0, r.Err);
        r.Err.ShouldContain("the logger stopped the run");
        File.ReadAllText(Path.Combine(outDir, "run.json")).ShouldContain("\"outcome\": \"Stopped\"");

        var local = File.ReadAllText(Path.Combine(outDir, "trace.jsonl"));
        local.ShouldBe(StoredText(logger.RunFile("live")), "the stored run is the local file, record for record");
        var records = Core.Json.JsonLinesReader.ReadFile(Path.Combine(outDir, "trace.jsonl")).ToList();
        records.Count.ShouldBeGreaterThan(5);
        records.Select(x => x.No).ShouldBe(Enumerable.Range(0, records.Count).Select(i => (long)i), "gap-free from 0");
        records.ShouldAllBe(x => x.ProcName == "antianalysis" || x.ProcName == "kworker", "only the filter's processes");
        records.ShouldContain(x => x.Name == "ptrace" && x.AdditionalInfo["request_name"] == "PTRACE_TRACEME");
        records.ShouldNotContain(x => x.Name == "clock_nanosleep" && x.LogType == Core.Records.LogType.Exit, "paused before the 2 s sleep returned");
        records.ShouldNotContain(x => x.Name == "exit_group");
    }

    private static string StoredText(string path)
    {
        if (!File.Exists(path)) return "";
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return new StreamReader(fs).ReadToEnd();
    }
}
