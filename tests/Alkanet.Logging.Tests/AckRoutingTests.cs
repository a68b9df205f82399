using Alkanet.Logging.Storage;
using Alkanet.Logging.Wire;

namespace Alkanet.Logging.Tests;

/// <summary>An acknowledgement goes to the connection whose records became durable, not to whichever tracer holds
/// the run now. (It once went to the run's current connection: a second tracer joining a run while the first one's
/// goodbye was still being stored got an ack for the first one's numbers, pruned its own unsent records as durable,
/// and a resend of stored numbers looked accepted.)</summary>
public sealed class AckRoutingTests
{
    [Fact]
    public async Task A_tracer_joining_a_run_is_never_acknowledged_for_another_streams_records()
    {
        using var gate = new ManualResetEventSlim();
        ThrottledStore? store = null;
        using var logger = new LoggerFixture(o => store = new ThrottledStore(new SqliteRunStore(o.DataDirectory), TimeSpan.Zero) { EndRunGate = gate });
        var cancel = TestContext.Current.CancellationToken;
        using var a = await RawTracer.ConnectAsync(logger, "shared", "stream-a", cancel);
        await a.SendBatchAsync(0, 100, cancel);
        (await a.ReadAsync(cancel)).Type.ShouldBe(FrameType.Ack);
        // Stream a says goodbye; the logger is still storing it when stream b joins the run.
        await a.SendByeAsync(99, cancel);
        store!.EndRunWaiting.Wait(TimeSpan.FromSeconds(20)).ShouldBeTrue("the goodbye reached the store");
        using var b = await RawTracer.ConnectAsync(logger, "shared", "stream-b", cancel);
        b.Welcome.LastDurableNo.ShouldBe(-1, "nothing of stream b is durable");
        gate.Set();
        StreamingTests.WaitFor(() => logger.Service.Store.FindRun("shared")!.State == RunState.Complete);
        await b.SendBatchAsync(0, 10, cancel); // stream a's numbers again

        var first = await b.ReadAsync(cancel);
        first.Type.ShouldBe(FrameType.Reject, "the first frame stream b gets answers its own batch (not an ack of stream a's goodbye)");
        RejectMessage.Parse(first.Body.Span).Reason.ShouldContain("already holds records through no 99");
        logger.Service.Store.FindRun("shared")!.LastNo.ShouldBe(99);
    }
}
