using Alkanet.Core.Records;
using Alkanet.Logging.Storage;
using Alkanet.Logging.Wire;

namespace Alkanet.Logging.Tests;

/// <summary>Brotli is chosen only for a tracer on another machine: over loopback it costs CPU on both sides of one
/// machine and saves bandwidth that is free. A batch is still decoded by what its own header says.</summary>
public sealed class CompressionChoiceTests
{
    [Fact]
    public async Task A_tracer_on_the_same_machine_is_told_to_send_raw_batches_even_when_it_offers_brotli()
    {
        using var logger = new LoggerFixture();
        var cancel = TestContext.Current.CancellationToken;
        using var tracer = await RawTracer.ConnectAsync(logger, "local", "stream-1", cancel, offered: WireCompression.Brotli);

        tracer.Welcome.Compression.ShouldBe(WireCompression.None);
        await tracer.SendBatchAsync(Enumerable.Range(0, 100).Select(i => TestRecords.Make(i)), cancel);
        var ack = await tracer.ReadAsync(cancel);
        ack.Type.ShouldBe(FrameType.Ack);
        AckMessage.Parse(ack.Body.Span).DurableThroughNo.ShouldBe(99);
    }

    [Fact]
    public async Task A_brotli_batch_from_an_older_tracer_on_loopback_is_still_decoded_and_stored()
    {
        using var logger = new LoggerFixture();
        var cancel = TestContext.Current.CancellationToken;
        using var tracer = await RawTracer.ConnectAsync(logger, "older", "stream-1", cancel, offered: WireCompression.Brotli);

        await tracer.SendBatchAsync(Enumerable.Range(0, 50).Select(i => TestRecords.Make(i)), cancel, WireCompression.Brotli);
        (await tracer.ReadAsync(cancel)).Type.ShouldBe(FrameType.Ack);
        var stored = logger.Service.Store.ReadJson("older", new RecordQuery { Limit = 100 });
        stored.Count.ShouldBe(50);
        stored[49].ShouldContain("\"no\":49");
    }
}
