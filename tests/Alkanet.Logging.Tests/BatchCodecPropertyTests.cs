using Alkanet.Core.Json;
using Alkanet.Core.Records;
using Alkanet.Logging.Wire;

namespace Alkanet.Logging.Tests;

/// <summary>Random records, edge values included, survive the binary batch codec exactly (compared through
/// their JSON form, which prints every field).</summary>
public class BatchCodecPropertyTests
{
    private static readonly ulong[] Edges = [0, 1, 0x7f, 0x80, 0x3fff, 0x4000, uint.MaxValue, long.MaxValue, (ulong)long.MaxValue + 1, ulong.MaxValue];

    private static string RandomString(Random rng, int max)
    {
        var len = rng.Next(0, max);
        var chars = new char[len];
        for (var i = 0; i < len; i++)
        {
            chars[i] = rng.Next(10) switch
            {
                0 => (char)rng.Next(0x3040, 0x30ff), // Japanese kana: multi-byte UTF-8
                1 => "\\\"/\n\t"[rng.Next(5)],
                _ => (char)rng.Next(0x20, 0x7f),
            };
        }
        return new string(chars);
    }

    private static ulong RandomU64(Random rng) => rng.Next(3) == 0 ? Edges[rng.Next(Edges.Length)] : (ulong)rng.NextInt64() ^ ((ulong)rng.Next() << 40);

    private static SyscallRecord RandomRecord(Random rng, long no)
    {
        var r = new SyscallRecord
        {
            No = no, CpuId = rng.Next(3) == 0 ? int.MaxValue : rng.Next(64), LogType = rng.Next(2) == 0 ? LogType.Enter : LogType.Exit,
            Pid = RandomU64(rng), Tid = RandomU64(rng), ProcName = RandomString(rng, 20), Name = RandomString(rng, 40), SysNo = RandomU64(rng),
            Type = rng.Next(5) == 0 ? RandomString(rng, 10) : RecordTypes.Syscall, RetVal = RandomU64(rng),
        };
        if (rng.Next(2) == 0) r.TimestampNs = rng.Next(4) == 0 ? (rng.Next(2) == 0 ? long.MinValue : long.MaxValue) : rng.NextInt64();
        if (rng.Next(2) == 0) r.ParentPid = RandomU64(rng);
        if (rng.Next(3) == 0) r.ProcSeq = rng.Next(2) == 0 ? -rng.NextInt64() : rng.NextInt64();
        if (rng.Next(3) == 0) r.Cr3 = RandomU64(rng);
        if (rng.Next(3) == 0) r.Args = Enumerable.Range(0, rng.Next(1, 8)).Select(_ => RandomU64(rng)).ToArray();
        for (var i = rng.Next(0, 5); i > 0; i--)
        {
            var key = "k" + RandomString(rng, 12);
            if (rng.Next(4) == 0) r.AdditionalInfo.SetJson(key, "[1,\"x\",{\"y\":null}]");
            else r.AdditionalInfo.Set(key, RandomString(rng, rng.Next(10) == 0 ? 3000 : 60)); // some long paths (> 256 bytes)
        }
        if (rng.Next(6) == 0) r.ExtraFields = [new("extra_" + rng.Next(100), "{\"nested\":[1,2,3]}")];
        return r;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Random_records_round_trip_exactly(int seed)
    {
        var rng = new Random(seed);
        var encoder = new BatchEncoder();
        var originals = new List<SyscallRecord>();
        var no = rng.NextInt64(0, 1L << 39);
        for (var i = 0; i < 500; i++)
        {
            var r = rng.Next(50) == 0 ? SyscallRecord.LossMarker(no, no + rng.Next(0, 1000), "test loss") : RandomRecord(rng, no);
            originals.Add(r);
            encoder.Add(r);
            no = r.LastCoveredNo + 1;
        }
        var batch = encoder.Seal();
        foreach (var compression in new[] { WireCompression.None, WireCompression.Brotli })
        {
            var decoded = new List<SyscallRecord>();
            new BatchDecoder().Decode(batch.FrameBody(compression), decoded).ShouldBe(originals.Count);
            for (var i = 0; i < originals.Count; i++)
                RecordJson.Serialize(decoded[i]).ShouldBe(RecordJson.Serialize(originals[i]), $"record {i} ({compression})");
        }
    }
}
