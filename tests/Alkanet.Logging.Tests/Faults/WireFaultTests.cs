using Alkanet.Core.Records;
using Alkanet.Logging.Client;
using Alkanet.Logging.Server;
using Alkanet.Logging.Storage;
using Alkanet.Logging.Wire;
using Microsoft.Extensions.Logging;

namespace Alkanet.Logging.Tests.Faults;

/// <summary>Tracers that break: numbers out of range, LOSS ranges out of bounds, killed mid-batch, vanished without a
/// goodbye, clocks that jump. The logger says why it refuses, stores nothing half, and never leaves a run "Live" forever.</summary>
public class WireFaultTests
{
    [Fact]
    public async Task A_record_number_past_the_range_is_refused_with_its_reason_and_the_run_is_not_left_live()
    {
        using var logger = new LoggerFixture();
        var cancel = TestContext.Current.CancellationToken;
        using var t = await RawTracer.ConnectAsync(logger, "overflow", "s", cancel);
        await t.SendBatchAsync(0, 10, cancel);
        (await t.ReadAsync(cancel)).Type.ShouldBe(FrameType.Ack);
        // 2^63-1 and then +1: once an uncaught OverflowException that closed the connection without a word
        var a = TestRecords.Make(0);
        a.No = long.MaxValue;
        var b = TestRecords.Make(1);
        b.No = unchecked(long.MaxValue + 1);
        await t.SendBatchAsync([a, b], cancel);
        var answer = await t.ReadAsync(cancel);
        answer.Type.ShouldBe(FrameType.Reject);
        RejectMessage.Parse(answer.Body.Span).Reason.ShouldContain($"outside 0..{WireLimits.MaxRecordNo}");
        logger.Log.Lines.ShouldContain(l => l.Level == LogLevel.Warning && l.Text.Contains("overflow") && l.Text.Contains("outside 0.."));
        StreamingTests.WaitFor(() => logger.Service.Store.FindRun("overflow")!.State == RunState.Interrupted);
        logger.Service.Store.FindRun("overflow")!.LastNo.ShouldBe(9);
    }

    [Fact]
    public async Task A_loss_range_out_of_bounds_is_refused_and_never_counted()
    {
        using var logger = new LoggerFixture();
        var cancel = TestContext.Current.CancellationToken;
        using var t = await RawTracer.ConnectAsync(logger, "huge-loss", "s", cancel);
        await t.SendBatchAsync([TestRecords.Make(0), SyscallRecord.LossMarker(1, 1L << 62, "hostile")], cancel);
        var answer = await t.ReadAsync(cancel);
        answer.Type.ShouldBe(FrameType.Reject);
        RejectMessage.Parse(answer.Body.Span).Reason.ShouldContain("LOSS marker in record 1 covers 1..4611686018427387904");
        var run = logger.Service.Store.FindRun("huge-loss")!;
        run.LossRecords.ShouldBe(0);
        run.LastNo.ShouldBe(-1, "nothing of the refused batch is stored");
    }

    [Fact]
    public async Task A_tracer_killed_mid_batch_leaves_nothing_half_stored_and_its_successor_continues_without_a_gap()
    {
        using var logger = new LoggerFixture();
        var cancel = TestContext.Current.CancellationToken;
        using (var t = await RawTracer.ConnectAsync(logger, "killed", "s", cancel))
        {
            await t.SendBatchAsync(0, 100, cancel);
            (await t.ReadAsync(cancel)).Type.ShouldBe(FrameType.Ack);
            // half of the next frame, then the process is gone
            var encoder = new BatchEncoder();
            for (long no = 100; no < 200; no++) encoder.Add(TestRecords.Make(no));
            var body = encoder.Seal().FrameBody(WireCompression.None);
            var header = new byte[5];
            BitConverter.TryWriteBytes(header.AsSpan(0, 4), body.Length + 1).ShouldBeTrue();
            header[4] = (byte)FrameType.Batch;
            await t.Stream.WriteAsync(header, cancel);
            await t.Stream.WriteAsync(body.AsMemory(0, body.Length / 2), cancel);
        }
        StreamingTests.WaitFor(() => logger.Service.Sessions.Find("killed") is { IsConnected: false });
        logger.Service.Store.FindRun("killed")!.LastNo.ShouldBe(99);
        // the same stream restarted from what the logger says is durable
        using (var again = await RawTracer.ConnectAsync(logger, "killed", "s", cancel))
        {
            again.Welcome.LastDurableNo.ShouldBe(99);
            await again.SendBatchAsync(100, 100, cancel);
            (await again.ReadAsync(cancel)).Type.ShouldBe(FrameType.Ack);
            await again.SendByeAsync(199, cancel);
            StreamingTests.WaitFor(() => logger.Service.Store.FindRun("killed")!.State == RunState.Complete);
        }
        var store = (SqliteRunStore)logger.Service.Store;
        RunChecks.ShouldBeCompleteRun(store, store.RunFilePath("killed"), "killed", 0, 199).ShouldBe(0);
    }

    [Fact]
    public async Task A_tracer_that_vanishes_without_a_goodbye_leaves_its_run_interrupted_after_the_timeout_and_a_return_revives_it()
    {
        using var logger = new LoggerFixture(configure: o => o with { AbandonedRunTimeout = TimeSpan.FromSeconds(1) });
        var cancel = TestContext.Current.CancellationToken;
        using (var t = await RawTracer.ConnectAsync(logger, "vanished", "s", cancel))
        {
            await t.SendBatchAsync(0, 50, cancel);
            (await t.ReadAsync(cancel)).Type.ShouldBe(FrameType.Ack);
            logger.Service.Store.FindRun("vanished")!.State.ShouldBe(RunState.Live);
        }
        StreamingTests.WaitFor(() => logger.Service.Store.FindRun("vanished")!.State == RunState.Interrupted);
        logger.Log.Lines.ShouldContain(l => l.Text.Contains("run vanished interrupted: its tracer went away without a goodbye"));
        using var back = await RawTracer.ConnectAsync(logger, "vanished", "s", cancel);
        logger.Service.Store.FindRun("vanished")!.State.ShouldBe(RunState.Live);
        back.Welcome.LastDurableNo.ShouldBe(49);
    }

    [Fact]
    public void Tracer_clocks_that_jump_back_and_forth_change_nothing_stored_or_acknowledged()
    {
        using var logger = new LoggerFixture();
        const long total = 20_000;
        using (var client = DiskFaultTests.Connect(logger, "clock", batch: 512))
        {
            var r = new SyscallRecord();
            for (long no = 0; no < total; no++)
            {
                TestRecords.Fill(r, no);
                // a guest clock stepped back an hour, then forward ten years, then to zero (a reset RTC)
                r.TimestampNs = no switch
                {
                    < 5_000 => r.TimestampNs,
                    < 10_000 => r.TimestampNs - 3_600_000_000_000,
                    < 15_000 => r.TimestampNs + 315_360_000_000_000_000,
                    _ => no,
                };
                client.Write(r);
            }
            client.Flush(TimeSpan.FromMinutes(1)).ShouldBeTrue();
            var store = (SqliteRunStore)logger.Service.Store;
            FaultChecks.ShouldKeepItsPromises(store, "clock", client, total, flushed: true).ShouldBe(0);
            store.ReadJson("clock", new RecordQuery { AfterNo = 14_999, Limit = 1 }).Single().ShouldContain("\"timestamp_ns\":15000");
        }
    }

    [Fact]
    public void The_token_guards_lockout_runs_on_the_monotonic_clock_so_a_wall_clock_step_cannot_stretch_it()
    {
        var clock = new SteppingClock();
        var guard = new TokenGuard(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, clock);
        var source = System.Net.IPAddress.Parse("192.0.2.7");
        for (var i = 0; i < TokenGuard.FreeFailures; i++) guard.Failed(source, "test", null);
        guard.Throttled(source, out var retry).ShouldBeTrue();
        retry.ShouldBe(TokenGuard.FirstLockout);
        clock.WallOffset = TimeSpan.FromDays(-365); // the wall clock jumps back a year
        clock.Monotonic += TokenGuard.FirstLockout;
        guard.Throttled(source, out _).ShouldBeFalse("the lockout is over after its duration, whatever the wall clock says");
    }

    /// <summary>A clock whose monotonic and wall readings the test moves by hand.</summary>
    private sealed class SteppingClock : TimeProvider
    {
        public TimeSpan Monotonic { get; set; } = TimeSpan.FromHours(1);

        public TimeSpan WallOffset { get; set; }

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Monotonic.Ticks;

        public override DateTimeOffset GetUtcNow() => new DateTimeOffset(2026, 12, 6, 0, 0, 0, TimeSpan.Zero) + WallOffset + Monotonic;
    }
}
