using Alkanet.Core.Records;
using Alkanet.Logging.Client;
using Alkanet.Logging.Storage;
using Alkanet.Logging.Wire;

namespace Alkanet.Logging.Tests;

public class StreamingTests
{
    private static void Send(LoggerClient client, long first, long count)
    {
        var r = new SyscallRecord();
        for (var no = first; no < first + count; no++)
        {
            TestRecords.Fill(r, no);
            client.Write(r);
        }
    }

    [Fact]
    public void A_stream_is_stored_complete_in_the_database_and_the_run_file()
    {
        using var logger = new LoggerFixture();
        using (var client = logger.Connect("run-a"))
        {
            Send(client, 0, 50_000);
            client.Flush();
            client.BufferedRecords.ShouldBe(0);
            client.LastAckedNo.ShouldBe(49_999);
        }
        var store = (SqliteRunStore)logger.Service.Store;
        RunChecks.ShouldBeCompleteRun(store, store.RunFilePath("run-a"), "run-a", 0, 49_999).ShouldBe(0);
        WaitFor(() => store.FindRun("run-a")!.State == RunState.Complete);
        logger.Service.Sessions.Find("run-a")!.Connections.ShouldBe(1); // no reconnect after the goodbye
    }

    [Fact]
    public void A_wrong_token_is_refused_with_a_reason_and_other_runs_continue()
    {
        using var logger = new LoggerFixture();
        using var good = logger.Connect("good");
        good.WaitConnected(TimeSpan.FromSeconds(10)).ShouldBeTrue();
        var bad = logger.Connect("bad", token: "nope");
        bad.WaitConnected(TimeSpan.FromSeconds(10)).ShouldBeFalse();
        bad.Fault.ShouldBe("wrong token");
        Should.Throw<InvalidOperationException>(() => bad.Write(TestRecords.Make(0))).Message.ShouldContain("wrong token");
        bad.Dispose();
        // a wrong token goes to the guard's own bounded log, not into the run events (guessing must not flush them)
        logger.Service.Guard.Failures.ShouldContain(f => f.Where == "tracer port" && f.Detail == "bad");
        logger.Service.Sessions.Events.ShouldNotContain(e => e.What.Contains("wrong token"));
        Send(good, 0, 1000);
        good.Flush();
        logger.Service.Store.FindRun("good")!.LastNo.ShouldBe(999);
        logger.Service.Store.FindRun("bad").ShouldBeNull();
    }

    [Fact]
    public async Task Garbage_and_oversized_frames_disconnect_only_their_connection()
    {
        using var logger = new LoggerFixture();
        using var good = logger.Connect("steady");
        Send(good, 0, 500);
        foreach (var junk in new[] { "GET / HTTP/1.1\r\n\r\n"u8.ToArray(), [0xff, 0xff, 0xff, 0x7f, 1, 2, 3] })
        {
            using var tcp = new System.Net.Sockets.TcpClient();
            await tcp.ConnectAsync("127.0.0.1", logger.Service.TracerEndpoint.Port);
            var s = tcp.GetStream();
            await s.WriteAsync(junk);
            var buf = new byte[4096];
            // the logger answers with a reject frame (or just closes) and then ends the connection
            while (await s.ReadAsync(buf) > 0) { }
        }
        // an authenticated tracer that then sends a frame over the 8 MiB cap, and one that sends a corrupt batch
        var hello = new HelloMessage(LoggerFixture.Token, "rogue", WireCompression.None, "test", "s1").ToFrame();
        var bigHeader = new byte[] { 0, 0, 0, 0x10, (byte)FrameType.Batch }; // 256 MiB
        var badBatch = new byte[] { 9, 0, 0, 0, (byte)FrameType.Batch, 0, 200, 0, 0, 0, 1, 2, 3 };
        foreach (var after in new[] { bigHeader, badBatch })
        {
            using var tcp = new System.Net.Sockets.TcpClient();
            await tcp.ConnectAsync("127.0.0.1", logger.Service.TracerEndpoint.Port);
            var s = tcp.GetStream();
            await s.WriteAsync(hello);
            await s.WriteAsync(after);
            var buf = new byte[4096];
            while (await s.ReadAsync(buf) > 0) { }
        }
        await Task.Delay(100);
        logger.Service.Sessions.Events.ShouldContain(e => e.RunId == "rogue" && e.What.Contains("oversized frame: 268435456 bytes"));
        logger.Service.Sessions.Events.ShouldContain(e => e.RunId == "rogue" && e.What.Contains("batch"));
        logger.Service.Sessions.Events.Count(e => e.What.StartsWith("disconnected: ", StringComparison.Ordinal)).ShouldBeGreaterThanOrEqualTo(2);
        // before a hello nothing is known of the peer: counted, not written into the run events it could flush out
        logger.Service.Sessions.RefusedBeforeHello.ShouldBeGreaterThanOrEqualTo(2);
        logger.Service.Sessions.Events.ShouldContain(e => e.What.Contains("oversized frame"));
        Send(good, 500, 500);
        good.Flush();
        logger.Service.Store.FindRun("steady")!.LastNo.ShouldBe(999);
    }

    [Fact]
    public async Task Two_tracers_at_once_keep_their_runs_apart()
    {
        using var logger = new LoggerFixture();
        var t1 = Task.Run(() => { using var c = logger.Connect("left"); Send(c, 0, 30_000); c.Flush(); });
        var t2 = Task.Run(() => { using var c = logger.Connect("right"); Send(c, 1000, 20_000); c.Flush(); });
        await Task.WhenAll(t1, t2);
        var store = (SqliteRunStore)logger.Service.Store;
        RunChecks.ShouldBeCompleteRun(store, store.RunFilePath("left"), "left", 0, 29_999);
        RunChecks.ShouldBeCompleteRun(store, store.RunFilePath("right"), "right", 1000, 20_999);
    }

    [Fact]
    public async Task Records_written_before_the_logger_is_up_are_delivered_when_it_comes()
    {
        var port = FreePort();
        var client = LoggerClient.Connect(new LoggerClientOptions
        {
            Endpoint = $"127.0.0.1:{port}", Token = LoggerFixture.Token, RunId = "early",
            InitialBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(200),
        });
        Send(client, 0, 2000);
        client.IsConnected.ShouldBeFalse();
        var dir = Path.Combine(Path.GetTempPath(), "alkanet-logger-test-" + Guid.NewGuid().ToString("n"));
        using var service = new Server.LoggerService(new Server.LoggerServerOptions
        {
            Listen = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port), Http = null, DataDirectory = dir, Token = LoggerFixture.Token,
        });
        await service.StartAsync(default);
        client.Flush();
        client.Dispose();
        service.Store.FindRun("early")!.LastNo.ShouldBe(1999);
    }

    [Fact]
    public void Loss_marker_policy_records_the_dropped_range_instead_of_a_silent_gap()
    {
        // a logger that never answers: the buffer fills and the overflow becomes one LOSS marker
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var client = LoggerClient.Connect(new LoggerClientOptions
        {
            Endpoint = $"127.0.0.1:{((System.Net.IPEndPoint)listener.LocalEndpoint).Port}", Token = "t", RunId = "lossy",
            BufferCapacity = 100, OnFull = BufferFullPolicy.LossMarker, CloseTimeout = TimeSpan.FromMilliseconds(200),
        });
        Send(client, 0, 1000);
        client.RecordsDropped.ShouldBe(900);
        client.BufferedRecords.ShouldBe(100);
        client.Dispose();
        listener.Stop();
    }

    [Fact]
    public void Loss_marker_reaches_the_store_once_there_is_room()
    {
        using var logger = new LoggerFixture(o => new ThrottledStore(new SqliteRunStore(o.DataDirectory), TimeSpan.FromMilliseconds(200)));
        using (var client = logger.Connect("lossy", capacity: 64, onFull: BufferFullPolicy.LossMarker))
        {
            client.WaitConnected(TimeSpan.FromSeconds(10)).ShouldBeTrue();
            Send(client, 0, 20_000);
            client.Flush();
            client.RecordsDropped.ShouldBeGreaterThan(0);
        }
        var inner = ((ThrottledStore)logger.Service.Store).Inner;
        var lost = RunChecks.ShouldBeCompleteRun(inner, inner.RunFilePath("lossy"), "lossy", 0, 19_999);
        lost.ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task Control_commands_reach_the_tracer_and_status_comes_back()
    {
        using var logger = new LoggerFixture();
        using var client = logger.Connect("ctl");
        client.WaitConnected(TimeSpan.FromSeconds(10)).ShouldBeTrue();
        Send(client, 0, 100);
        var seen = new List<ControlCommand>();
        client.Control.CommandReceived += m => { lock (seen) seen.Add(m.Command); };
        var session = logger.Service.Sessions.Find("ctl").ShouldNotBeNull();
        (await session.SendControlAsync(new ControlMessage(ControlCommand.Pause))).ShouldBeTrue();
        WaitFor(() => client.Control.State == TracerState.Paused);
        var filter = new RecordFilter { ProcessNames = ["sample.exe"], CallNames = ["NtWriteFile"] };
        (await session.SendControlAsync(new ControlMessage(ControlCommand.SetFilter, 0, filter))).ShouldBeTrue();
        WaitFor(() => client.Control.Filter.Equals(filter));
        client.Control.Filter.Matches(0x108, "SAMPLE.EXE", "NtWriteFile").ShouldBeTrue();
        client.Control.Filter.Matches(0x108, "sample.exe", "NtClose").ShouldBeFalse();
        (await session.SendControlAsync(new ControlMessage(ControlCommand.Resume))).ShouldBeTrue();
        WaitFor(() => client.Control.State == TracerState.Running);
        var status = (await session.RequestStatusAsync(TimeSpan.FromSeconds(10))).ShouldNotBeNull();
        status.RecordsWritten.ShouldBe(100);
        status.State.ShouldBe(TracerState.Running);
        status.BufferCapacity.ShouldBe(1 << 16);
        status.Filter.ShouldContain("sample.exe");
        (await session.SendControlAsync(new ControlMessage(ControlCommand.Stop))).ShouldBeTrue();
        WaitFor(() => client.Control.StopRequested.IsCancellationRequested);
        // (the logger also polls status every 2 s, so status requests may appear anywhere)
        lock (seen)
        {
            seen.ShouldContain(ControlCommand.StatusRequest);
            seen.Where(c => c != ControlCommand.StatusRequest).ShouldBe([ControlCommand.Pause, ControlCommand.SetFilter, ControlCommand.Resume, ControlCommand.Stop]);
        }
    }

    [Fact]
    public void Throttled_storage_makes_the_tracer_wait_without_losing_records()
    {
        using var logger = new LoggerFixture(o => new ThrottledStore(new SqliteRunStore(o.DataDirectory), TimeSpan.FromMilliseconds(50)));
        using (var client = logger.Connect("slow", capacity: 2048))
        {
            Send(client, 0, 60_000);
            client.Flush();
            client.BackPressureWaits.ShouldBeGreaterThan(0);
            client.RecordsDropped.ShouldBe(0);
        }
        var inner = ((ThrottledStore)logger.Service.Store).Inner;
        RunChecks.ShouldBeCompleteRun(inner, inner.RunFilePath("slow"), "slow", 0, 59_999).ShouldBe(0);
    }

    internal static void WaitFor(Func<bool> condition, int seconds = 20)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException("condition not met in time");
            Thread.Sleep(10);
        }
    }

    internal static int FreePort()
    {
        var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        var port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}

/// <summary>A store that takes its time on every commit: slow storage, for back-pressure tests.</summary>
internal sealed class ThrottledStore(SqliteRunStore inner, TimeSpan delay) : IRunStore
{
    public SqliteRunStore Inner => inner;

    /// <summary>Slow storage: each commit first waits this long (changeable while the logger runs).</summary>
    public TimeSpan Delay { get; set; } = delay;

    /// <summary>A failing file layer: given the commit's number (0-based), the error to throw instead of storing it.</summary>
    public Func<int, Exception?>? Fault { get; set; }

    public int CommitsTried => Volatile.Read(ref _commits);

    private int _commits;

    public void Commit(IReadOnlyList<RunAppend> appends)
    {
        var n = Interlocked.Increment(ref _commits) - 1;
        Thread.Sleep(Delay);
        if (Fault?.Invoke(n) is { } error) throw error;
        inner.Commit(appends);
    }

    public RunInfo OpenRun(string runId, string client, string stream = "") => inner.OpenRun(runId, client, stream);

    public RunInfo? FindRun(string runId) => inner.FindRun(runId);

    public IReadOnlyList<RunInfo> ListRuns() => inner.ListRuns();

    /// <summary>When set, EndRun (a goodbye being stored) waits for it to open; <see cref="EndRunWaiting"/> says one arrived.</summary>
    public ManualResetEventSlim? EndRunGate { get; init; }

    public ManualResetEventSlim EndRunWaiting { get; } = new();

    public void EndRun(string runId, RunState state)
    {
        EndRunWaiting.Set();
        EndRunGate?.Wait(TimeSpan.FromSeconds(30));
        inner.EndRun(runId, state);
    }

    public IReadOnlyList<string> ReadJson(string runId, RecordQuery query) => inner.ReadJson(runId, query);

    public Stream OpenRunJsonLines(string runId) => inner.OpenRunJsonLines(runId);

    public RunStatistics Statistics(string runId) => inner.Statistics(runId);

    public IReadOnlyList<RunProcess> Processes(string runId) => inner.Processes(runId);

    public void Dispose() => inner.Dispose();
}

public class GapTests
{
    [Fact]
    public void A_tracer_that_restarts_without_its_records_leaves_an_explicit_loss_marker()
    {
        using var logger = new LoggerFixture();
        var r = new SyscallRecord();
        using (var first = logger.Connect("gappy"))
        {
            for (long no = 0; no < 1000; no++) { TestRecords.Fill(r, no); first.Write(r); }
            first.Flush();
        }
        using (var second = logger.Connect("gappy"))
        {
            for (long no = 2000; no < 3000; no++) { TestRecords.Fill(r, no); second.Write(r); }
            second.Flush();
        }
        var store = (SqliteRunStore)logger.Service.Store;
        RunChecks.ShouldBeCompleteRun(store, store.RunFilePath("gappy"), "gappy", 0, 2999).ShouldBe(1000);
        var marker = Core.Json.RecordJson.Parse(store.ReadJson("gappy", new RecordQuery { AfterNo = 999, Limit = 1 })[0]);
        marker.LogType.ShouldBe(LogType.Loss);
        marker.AdditionalInfo[LossFields.Reason].ShouldNotBeNull().ShouldContain("gap on the wire");
    }

    [Fact]
    public void Numbers_the_tracer_skips_become_a_loss_marker_on_the_tracer_side()
    {
        using var logger = new LoggerFixture();
        using (var client = logger.Connect("skips"))
        {
            var r = new SyscallRecord();
            foreach (var no in new long[] { 0, 1, 2, 10, 11 }) { TestRecords.Fill(r, no); client.Write(r); }
            Should.Throw<ArgumentException>(() => { TestRecords.Fill(r, 5); client.Write(r); });
            client.Flush();
        }
        var store = (SqliteRunStore)logger.Service.Store;
        RunChecks.ShouldBeCompleteRun(store, store.RunFilePath("skips"), "skips", 0, 11).ShouldBe(7);
    }
}

public class RunReuseTests
{
    [Fact]
    public void A_new_tracer_reusing_a_runs_numbers_is_refused_instead_of_silently_deduplicated()
    {
        using var logger = new LoggerFixture();
        var r = new SyscallRecord();
        using (var first = logger.Connect("reused"))
        {
            for (long no = 0; no < 1000; no++) { TestRecords.Fill(r, no); first.Write(r); }
            first.Flush();
        }
        using var second = logger.Connect("reused");
        for (long no = 0; no < 100; no++) { TestRecords.Fill(r, no); second.Write(r); }
        StreamingTests.WaitFor(() => second.Fault is not null);
        second.Fault.ShouldNotBeNull().ShouldContain("already holds records through no 999");
        Should.Throw<InvalidOperationException>(() => second.Flush());
        logger.Service.Store.FindRun("reused")!.LastNo.ShouldBe(999);
    }
}

public class RunIdTests
{
    [Theory]
    [InlineData("../../etc")]
    [InlineData(".hidden")]
    [InlineData("a/b")]
    [InlineData("")]
    public void A_run_id_that_could_name_another_file_is_refused_where_the_client_takes_it_with_what_is_allowed(string runId)
    {
        var ex = Should.Throw<ArgumentException>(() => new LoggerClientOptions { Endpoint = "127.0.0.1:1", Token = "t", RunId = runId });
        ex.Message.ShouldBe($"run id '{runId}' is not valid: 1-{HelloMessage.MaxRunIdLength} characters of A-Z a-z 0-9 . _ - (not starting with '.'; it names a file on the logger)");
    }
}
