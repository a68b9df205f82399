using System.Buffers.Binary;
using Alkanet.Core.Records;
using Alkanet.Logging.Wire;

namespace Alkanet.Logging.Tests;

/// <summary>The frame reader and every body parser face hostile bytes: they must either decode or throw
/// <see cref="ProtocolException"/> — never another exception, never a hang, never a large allocation.</summary>
public class FrameFuzzTests
{
    private static async Task<int> ReadAll(byte[] bytes, int maxFrame = 1 << 16)
    {
        var reader = new FrameReader(new MemoryStream(bytes), maxFrame);
        var frames = 0;
        var decoder = new BatchDecoder();
        var records = new List<SyscallRecord>();
        while (await reader.ReadAsync() is { } f)
        {
            frames++;
            var body = f.Body.Span;
            switch (f.Type)
            {
                case FrameType.Hello: HelloMessage.Parse(body); break;
                case FrameType.Welcome: WelcomeMessage.Parse(body); break;
                case FrameType.Reject: RejectMessage.Parse(body); break;
                case FrameType.Batch: decoder.Decode(body, records); break;
                case FrameType.Ack: AckMessage.Parse(body); break;
                case FrameType.Control: ControlMessage.Parse(body); break;
                case FrameType.Status: StatusMessage.Parse(body); break;
                case FrameType.Bye: ByeMessage.Parse(body); break;
            }
        }
        return frames;
    }

    private static async Task ShouldOnlyFailAsProtocolErrors(byte[] bytes)
    {
        try
        {
            await ReadAll(bytes);
        }
        catch (ProtocolException)
        {
        }
    }

    [Fact]
    public async Task Random_bytes_only_ever_raise_protocol_errors()
    {
        var rng = new Random(12345);
        for (var i = 0; i < 3000; i++)
        {
            var bytes = new byte[rng.Next(0, 600)];
            rng.NextBytes(bytes);
            if (bytes.Length >= 5 && i % 2 == 0)
            {
                // plausible header so the body parsers get exercised, not only the length check
                BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)(bytes.Length - 4));
                bytes[4] = (byte)(1 + i % 8);
            }
            await ShouldOnlyFailAsProtocolErrors(bytes);
        }
    }

    [Fact]
    public async Task Mutated_valid_frames_only_ever_raise_protocol_errors()
    {
        var enc = new BatchEncoder();
        for (var i = 0; i < 40; i++) enc.Add(TestRecords.Make(i));
        var batch = enc.Seal();
        var valid = new List<byte[]>
        {
            new HelloMessage("tok", "run-1", WireCompression.Brotli, "host", "0123456789abcdef").ToFrame(),
            new ControlMessage(ControlCommand.SetFilter, 3, new RecordFilter { ProcessNames = ["a.exe"], Pids = [4], CallNames = ["NtClose"] }).ToFrame(),
            new StatusMessage(1, TracerState.Running, 5.5, 10, 2, 100, 0, 9, "all").ToFrame(),
            Frame(FrameType.Batch, batch.FrameBody(WireCompression.None)),
            Frame(FrameType.Batch, batch.FrameBody(WireCompression.Brotli)),
        };
        foreach (var v in valid) (await ReadAll(v)).ShouldBe(1);
        var rng = new Random(777);
        for (var i = 0; i < 4000; i++)
        {
            var bytes = (byte[])valid[i % valid.Count].Clone();
            var flips = rng.Next(1, 6);
            for (var k = 0; k < flips; k++) bytes[rng.Next(4, bytes.Length)] = (byte)rng.Next(256);
            if (i % 5 == 0) bytes = bytes[..rng.Next(0, bytes.Length)];
            await ShouldOnlyFailAsProtocolErrors(bytes);
        }
    }

    [Fact]
    public async Task An_oversized_length_is_refused_before_reading_the_body()
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, 0x7fff_ffff);
        var ex = await Should.ThrowAsync<ProtocolException>(() => ReadAll(bytes));
        ex.Message.ShouldContain("oversized frame");
    }

    [Fact]
    public void A_batch_claiming_more_records_than_its_bytes_can_hold_is_refused()
    {
        var raw = new byte[32];
        BinaryPrimitives.WriteInt64LittleEndian(raw, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(raw.AsSpan(8), 1_000_000);
        var ex = Should.Throw<ProtocolException>(() => new BatchDecoder().DecodeRaw(raw, []));
        ex.Message.ShouldContain("claims");
    }

    private static byte[] Frame(FrameType type, byte[] body)
    {
        var f = new byte[5 + body.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(f, (uint)(body.Length + 1));
        f[4] = (byte)type;
        body.CopyTo(f, 5);
        return f;
    }
}
