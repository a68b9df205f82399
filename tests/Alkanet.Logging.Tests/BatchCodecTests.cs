using Alkanet.Core.Json;
using Alkanet.Core.Records;
using Alkanet.Logging.Wire;

namespace Alkanet.Logging.Tests;

public class BatchCodecTests
{
    [Theory]
    [InlineData(WireCompression.None)]
    [InlineData(WireCompression.Brotli)]
    public void A_batch_round_trips_every_field_exactly(WireCompression compression)
    {
        var originals = Enumerable.Range(10, 500).Select(i => TestRecords.Make(i)).ToList();
        originals[3].ExtraFields = [new("future_field", "{\"x\":[1,2]}")];
        originals[4].AdditionalInfo.SetJson("argv", "[\"a\",\"b\"]");
        originals[5].ProcSeq = 42;
        originals[6].Cr3 = 0x1ab000;
        originals[7].ProcName = "日本語.exe";
        var enc = new BatchEncoder();
        foreach (var r in originals) enc.Add(r);
        var batch = enc.Seal();
        batch.FirstNo.ShouldBe(10);
        batch.LastNo.ShouldBe(509);
        var decoded = new List<SyscallRecord>();
        var n = new BatchDecoder().Decode(batch.FrameBody(compression), decoded);
        n.ShouldBe(500);
        for (var i = 0; i < n; i++) RecordJson.Serialize(decoded[i]).ShouldBe(RecordJson.Serialize(originals[i]));
    }

    [Fact]
    public void An_unreadable_value_crosses_the_wire_as_a_value_with_its_address()
    {
        var original = TestRecords.Make(1);
        original.AdditionalInfo.Set("path", InfoValue.Unreadable(0x7ffd0010, "/tm"))
            .Set("argv", RecordJsonWriter.StringArray([InfoValue.String("a"), InfoValue.Unreadable(0x500000)]));
        var enc = new BatchEncoder();
        enc.Add(original);
        var decoded = new List<SyscallRecord>();
        new BatchDecoder().Decode(enc.Seal().FrameBody(WireCompression.None), decoded).ShouldBe(1);
        decoded[0].AdditionalInfo.TryGet("path", out var path).ShouldBeTrue();
        path.ShouldBe(InfoValue.Unreadable(0x7ffd0010, "/tm"));
        decoded[0].AdditionalInfo.TryGet("argv", out var argv).ShouldBeTrue();
        argv.Kind.ShouldBe(InfoValueKind.PartlyUnreadableJson);
        argv.Address.ShouldBe(0x500000UL);
        RecordJson.Serialize(decoded[0]).ShouldBe(RecordJson.Serialize(original));
    }

    [Fact]
    public void A_loss_marker_covers_its_range_and_the_next_record_follows_it()
    {
        var enc = new BatchEncoder();
        enc.Add(TestRecords.Make(1));
        enc.Add(SyscallRecord.LossMarker(2, 99, "test"));
        enc.Add(TestRecords.Make(100));
        var batch = enc.Seal();
        batch.LastNo.ShouldBe(100);
        var decoded = new List<SyscallRecord>();
        new BatchDecoder().Decode(batch.FrameBody(WireCompression.None), decoded).ShouldBe(3);
        decoded[1].LogType.ShouldBe(LogType.Loss);
        decoded[1].LastCoveredNo.ShouldBe(99);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1)]
    public void A_raw_batch_whose_body_differs_from_its_declared_length_is_refused_with_both_lengths(int delta)
    {
        var enc = new BatchEncoder();
        for (var i = 0; i < 3; i++) enc.Add(TestRecords.Make(i));
        var body = enc.Seal().FrameBody(WireCompression.None);
        // cut one byte off, or append one: the declared raw length (bytes 1-4) no longer matches what follows the header
        var bad = delta < 0 ? body[..^1] : [.. body, 0];
        var ex = Should.Throw<ProtocolException>(() => new BatchDecoder().Decode(bad, []));
        ex.Message.ShouldBe($"batch length {bad.Length - 5} differs from the declared {body.Length - 5}");
    }

    [Fact]
    public void Brotli_makes_batches_much_smaller()
    {
        var enc = new BatchEncoder();
        for (var i = 0; i < 8192; i++) enc.Add(TestRecords.Make(i));
        var batch = enc.Seal();
        var plain = batch.FrameBody(WireCompression.None).Length;
        var brotli = batch.FrameBody(WireCompression.Brotli).Length;
        brotli.ShouldBeLessThan(plain / 3);
    }
}
