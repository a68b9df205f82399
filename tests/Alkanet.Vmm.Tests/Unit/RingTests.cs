using Alkanet.Core.Records;
using Alkanet.Core.Sinks;
using Alkanet.Vmm.Live;
using Alkanet.Ring;

namespace Alkanet.Vmm.Tests.Unit;

public sealed class RingTests
{
    private sealed class ListSink : IRecordSink
    {
        public List<SyscallRecord> Records { get; } = [];
        public void Write(SyscallRecord record) => Records.Add(record.Clone());
        public void Flush() { }
        public void Dispose() { }
    }

    private static string TempRing() => Path.Combine(Path.GetTempPath(), $"alkanet-test-{Guid.NewGuid():N}.ring");

    private static SyscallRecord Sample(int i)
    {
        var r = new SyscallRecord { CpuId = i % 2, LogType = LogType.Enter, Pid = 0x5f, Tid = (ulong)(0x60 + i), ProcName = "run", Name = "openat", SysNo = 0x101, RetVal = 3, ParentPid = 1, TimestampNs = 1234 + i, Args = [1, 2, 3] };
        r.AdditionalInfo.Set("path", "/tmp/ü" + i).SetJson("argv", "[\"a\",\"b\"]");
        return r;
    }

    [Fact]
    public void A_record_round_trips_through_the_slot_codec()
    {
        var buf = new byte[2048];
        var n = RingCodec.Encode(Sample(7), buf);
        var back = new SyscallRecord();
        RingCodec.Decode(buf.AsSpan(0, n), back, s => System.Text.Encoding.UTF8.GetString(s));
        back.ToString().ShouldBe(Sample(7).ToString());
        back.AdditionalInfo["path"].ShouldBe("/tmp/ü7");
        back.AdditionalInfo.TryGet("argv", out var argv).ShouldBeTrue();
        argv.IsJson.ShouldBeTrue();
        back.Args.ShouldBe([1UL, 2, 3]);
        back.TimestampNs.ShouldBe(1241);
    }

    [Fact]
    public void Decoding_into_a_reused_record_refills_its_args_and_a_kept_copy_keeps_its_own()
    {
        var buf = new byte[2048];
        var back = new SyscallRecord();
        var kept = new List<SyscallRecord>();
        ulong[][] args = [[1, 2, 3], [4, 5, 6], [7, 8], [], [9, 10]];
        foreach (var a in args)
        {
            var r = Sample(0);
            r.Args = a;
            RingCodec.Decode(buf.AsSpan(0, RingCodec.Encode(r, buf)), back, s => System.Text.Encoding.UTF8.GetString(s));
            back.Args.ShouldBe(a);
            kept.Add(back.Clone());
        }
        kept.Select(r => r.Args).ShouldBe(args);
    }

    [Fact]
    public void The_producers_string_cache_encodes_the_same_bytes_and_follows_a_new_string_of_the_same_slot()
    {
        var strings = new RingStringCache();
        var plain = new byte[2048];
        var cached = new byte[2048];
        for (var i = 0; i < 3; i++)
        {
            var r = Sample(i);
            r.ProcName = i == 2 ? "r€named" : r.ProcName; // a rename is a new string instance
            var n = RingCodec.Encode(r, plain);
            RingCodec.Encode(r, cached, strings).ShouldBe(n);
            cached.AsSpan(0, n).SequenceEqual(plain.AsSpan(0, n)).ShouldBeTrue();
            var back = new SyscallRecord();
            RingCodec.Decode(cached.AsSpan(0, n), back, s => System.Text.Encoding.UTF8.GetString(s));
            back.ProcName.ShouldBe(r.ProcName);
        }
        var tiny = new byte[Sample(0).ProcName.Length + 100];
        Should.Throw<ArgumentException>(() => RingCodec.Encode(new SyscallRecord { ProcName = new string('p', 60) }, tiny.AsSpan(0, 100), strings));
    }

    [Fact]
    public void The_drains_recent_strings_give_back_each_string_and_ask_the_pool_only_for_new_ones()
    {
        var asked = 0;
        var recent = new RecentUtf8Strings(b => { asked++; return System.Text.Encoding.UTF8.GetString(b); });
        var names = Enumerable.Range(0, 1000).Select(i => i % 3 == 0 ? $"n{i}" : i % 3 == 1 ? $"a-longer-name-{i}-ü" : new string('x', i % 70))
            .ToArray();
        var rng = new Random(11);
        for (var i = 0; i < 20000; i++)
        {
            var s = names[rng.Next(names.Length)];
            recent.Get(System.Text.Encoding.UTF8.GetBytes(s)).ShouldBe(s);
        }
        recent.Get([]).ShouldBe("");
        asked = 0;
        var hot = System.Text.Encoding.UTF8.GetBytes("getppid");
        recent.Get(hot);
        for (var i = 0; i < 100; i++) ReferenceEquals(recent.Get(hot), recent.Get(hot)).ShouldBeTrue();
        asked.ShouldBe(1);
    }

    [Fact]
    public void A_value_of_64_KiB_and_more_keeps_its_whole_length()
    {
        foreach (var bytes in new[] { 49151, 49152, 65536, 300_000 }) // base64: 65532, 65536, 87384, 400000 characters
        {
            var r = WithData(3, bytes);
            var buf = new byte[600_000];
            var n = RingCodec.Encode(r, buf);
            RingCodec.IsTruncated(buf.AsSpan(0, n)).ShouldBeFalse();
            var back = new SyscallRecord();
            RingCodec.Decode(buf.AsSpan(0, n), back, s => System.Text.Encoding.UTF8.GetString(s));
            back.AdditionalInfo["data"].ShouldBe(r.AdditionalInfo["data"], $"{bytes} bytes");
            back.ToString().ShouldBe(r.ToString());
        }
    }

    [Fact]
    public void An_unreadable_value_crosses_the_ring_as_a_value_with_its_address()
    {
        var r = Sample(2);
        r.AdditionalInfo.Set("regs", InfoValue.Unreadable(0xffffc90000010f58)).Set("name", InfoValue.Unreadable(0x13000, "ab"));
        var buf = new byte[2048];
        var n = RingCodec.Encode(r, buf);
        var back = new SyscallRecord();
        RingCodec.Decode(buf.AsSpan(0, n), back, s => System.Text.Encoding.UTF8.GetString(s));
        back.AdditionalInfo.TryGet("regs", out var regs).ShouldBeTrue();
        regs.ShouldBe(InfoValue.Unreadable(0xffffc90000010f58));
        back.AdditionalInfo["name"].ShouldBe("ab<unreadable@13000>");
        back.ToString().ShouldBe(r.ToString());
    }

    [Fact]
    public void An_oversized_record_keeps_what_fits_and_says_truncated()
    {
        var r = Sample(1);
        r.AdditionalInfo.Set("data", new string('x', 5000));
        var buf = new byte[512];
        var n = RingCodec.Encode(r, buf);
        var back = new SyscallRecord();
        RingCodec.Decode(buf.AsSpan(0, n), back, s => System.Text.Encoding.UTF8.GetString(s));
        back.AdditionalInfo["truncated"].ShouldBe("1");
        back.AdditionalInfo["path"].ShouldBe("/tmp/ü1");
    }

    [Fact]
    public void Garbage_in_a_slot_is_an_error_value_not_a_crash()
    {
        var rng = new Random(4);
        var buf = new byte[300];
        for (var i = 0; i < 2000; i++)
        {
            rng.NextBytes(buf);
            try { RingCodec.Decode(buf, new SyscallRecord(), s => System.Text.Encoding.UTF8.GetString(s)); }
            catch (InvalidDataException) { }
        }
    }

    [Fact]
    public void Concurrent_producers_are_drained_in_order_gap_free_with_back_pressure()
    {
        var path = TempRing();
        try
        {
            const int perThread = 5000;
            var (sink, drain) = ProduceAndDrain(path, 3 * perThread, Sample);
            sink.Records.Count.ShouldBe(3 * perThread);
            drain.Lost.ShouldBe(0);
            sink.Records.Select(r => r.No).ShouldBe(Enumerable.Range(0, 3 * perThread).Select(i => (long)i));
            sink.Records.Select(r => r.Tid).Distinct().Count().ShouldBe(3 * perThread);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Drop_mode_turns_a_full_ring_into_LOSS_records_covering_the_lost_numbers()
    {
        var path = TempRing();
        try
        {
            using var ring = TraceRing.Create(path, slotSize: 512, slotCount: 4, dropWhenFull: true);
            var sink = new ListSink();
            var drain = new RingDrain(ring, sink);
            for (var i = 0; i < 10; i++) ring.TryWrite(Sample(i)); // 4 fit, 6 dropped
            drain.DrainAvailable();
            for (var i = 10; i < 12; i++) ring.TryWrite(Sample(i)).ShouldBeTrue(); // the first carries the 6 drops
            ring.TryWrite(Sample(12));
            for (var i = 0; i < 5; i++) ring.TryWrite(Sample(13 + i)); // 1 fits, 4 more dropped, carried by nothing
            drain.Finish();
            drain.Lost.ShouldBe(6 + 4);
            long next = 0;
            foreach (var r in sink.Records) { r.No.ShouldBe(next); next = r.LastCoveredNo + 1; }
            var losses = sink.Records.Where(r => r.LogType == LogType.Loss).ToList();
            losses[0].AdditionalInfo["first_lost"].ShouldBe("4");
            losses[0].AdditionalInfo["last_lost"].ShouldBe("9");
            losses[0].AdditionalInfo["count"].ShouldBe("6");
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void A_record_too_big_for_its_slot_is_still_published_and_counted_as_lost()
    {
        var path = TempRing();
        try
        {
            using var ring = TraceRing.Create(path, slotSize: 256, slotCount: 4);
            var sink = new ListSink();
            var drain = new RingDrain(ring, sink);
            var huge = Sample(1);
            huge.ProcName = new string('p', 300); // even the fixed part does not fit
            ring.TryWrite(huge).ShouldBeTrue();
            ring.TryWrite(Sample(2)).ShouldBeTrue();
            drain.Finish();
            sink.Records.Count.ShouldBe(2);
            sink.Records[0].LogType.ShouldBe(LogType.Loss);
            sink.Records[0].AdditionalInfo["reason"].ShouldBe("undecodable_record");
            sink.Records[1].No.ShouldBe(1);
            sink.Records[1].Tid.ShouldBe(0x62UL);
        }
        finally { File.Delete(path); }
    }

    /// <summary>Three producer threads (a second mapping, as the plugin's) write <paramref name="count"/> records made by
    /// <paramref name="make"/> into a 64-slot ring of 512-byte slots with back-pressure, while this thread drains it.</summary>
    private static (ListSink Sink, RingDrain Drain) ProduceAndDrain(string path, int count, Func<int, SyscallRecord> make)
    {
        using var ring = TraceRing.Create(path, slotSize: 512, slotCount: 64);
        using var producerSide = TraceRing.Open(path);
        var sink = new ListSink();
        var drain = new RingDrain(ring, sink);
        var perThread = count / 3;
        var producers = Enumerable.Range(0, 3).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < perThread; i++) producerSide.TryWrite(make(t * perThread + i)).ShouldBeTrue();
        })).ToArray();
        while (!producers.All(p => p.IsCompleted)) drain.DrainAvailable();
        drain.Finish();
        return (sink, drain);
    }

    private static SyscallRecord WithData(int i, int bytes)
    {
        var r = Sample(i);
        var data = new byte[bytes];
        new Random(i).NextBytes(data);
        r.AdditionalInfo.Set("data", Convert.ToBase64String(data));
        return r;
    }

    [Fact]
    public void Records_larger_than_a_slot_span_slots_whole_among_small_ones_from_concurrent_producers()
    {
        var path = TempRing();
        try
        {
            // 64 slots of 512 bytes: a 3000-byte write's record spans 9 slots and wraps around the ring many times
            const int perThread = 300;
            var (sink, drain) = ProduceAndDrain(path, 3 * perThread, n => n % perThread % 3 == 0 ? WithData(n, 3000 + n) : Sample(n));
            drain.Lost.ShouldBe(0);
            sink.Records.Count.ShouldBe(3 * perThread);
            sink.Records.Select(r => r.No).ShouldBe(Enumerable.Range(0, 3 * perThread).Select(i => (long)i));
            foreach (var r in sink.Records)
            {
                var n = (int)r.Tid - 0x60;
                r.AdditionalInfo.TryGet("truncated", out _).ShouldBeFalse();
                if (n % perThread % 3 == 0) r.AdditionalInfo["data"].ShouldBe(WithData(n, 3000 + n).AdditionalInfo["data"]);
                else r.AdditionalInfo.TryGet("data", out _).ShouldBeFalse();
                r.AdditionalInfo["path"].ShouldBe("/tmp/ü" + n);
            }
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void A_record_larger_than_a_quarter_of_the_ring_is_cut_there_and_says_truncated()
    {
        var path = TempRing();
        try
        {
            using var ring = TraceRing.Create(path, slotSize: 512, slotCount: 16); // a span holds 4 slots' payload
            var sink = new ListSink();
            var drain = new RingDrain(ring, sink);
            ring.TryWrite(WithData(1, 10_000)).ShouldBeTrue();
            ring.TryWrite(Sample(2)).ShouldBeTrue();
            drain.Finish();
            sink.Records.Count.ShouldBe(2);
            sink.Records[0].AdditionalInfo["truncated"].ShouldBe("1");
            sink.Records[0].AdditionalInfo.TryGet("data", out _).ShouldBeFalse("an entry is kept whole or left out");
            sink.Records[0].AdditionalInfo["path"].ShouldBe("/tmp/ü1");
            sink.Records[1].Tid.ShouldBe(0x62UL);
            drain.Lost.ShouldBe(0);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void In_drop_mode_a_span_that_does_not_fit_is_one_LOSS()
    {
        var path = TempRing();
        try
        {
            using var ring = TraceRing.Create(path, slotSize: 512, slotCount: 16, dropWhenFull: true);
            var sink = new ListSink();
            var drain = new RingDrain(ring, sink);
            for (var i = 0; i < 14; i++) ring.TryWrite(Sample(i)).ShouldBeTrue();
            ring.TryWrite(WithData(14, 800)).ShouldBeFalse(); // its skip takes the 15th slot; its 3-slot span does not fit
            drain.DrainAvailable();
            ring.TryWrite(Sample(15)).ShouldBeTrue();
            drain.Finish();
            drain.Lost.ShouldBe(1);
            sink.Records.Count(r => r.LogType == LogType.Loss).ShouldBe(1);
            sink.Records[^1].Tid.ShouldBe((ulong)(0x60 + 15));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Opening_a_file_that_is_not_a_ring_names_the_file_and_offset()
    {
        var path = TempRing();
        File.WriteAllBytes(path, new byte[8192]);
        try
        {
            var e = Should.Throw<InvalidDataException>(() => TraceRing.Open(path));
            e.Message.ShouldContain(path);
            e.Message.ShouldContain("byte offset 0");
        }
        finally { File.Delete(path); }
    }
}
