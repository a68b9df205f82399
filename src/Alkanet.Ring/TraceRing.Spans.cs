using System.Runtime.CompilerServices;
using Alkanet.Core.Records;

namespace Alkanet.Ring;

/// <summary>
/// Records larger than one slot (a write's captured bytes, docs/EVIDENCE.md): instead of losing additional_info
/// entries, the producer spills the record into a span of consecutive slots. The slot it had reserved is published
/// as a skip marker (so the consumer never waits on it), then it reserves the span in one step, writes the encoded
/// record across the spans' payload areas, publishes the continuation slots and the first one last; the first slot's
/// length is the whole record's. Only records that did not fit take this path: a record that fits costs one flag test.
/// A span is at most a quarter of the ring; a record larger than that is cut there (and says <c>truncated</c>).
/// </summary>
public sealed unsafe partial class TraceRing
{
    /// <summary>The length a skipped slot carries (no record: its producer spilled the record into a span).</summary>
    private const uint SkipLength = uint.MaxValue;

    [ThreadStatic] private static byte[]? t_staging;
    private byte[] _gather = [];

    private int Payload => _slotSize - RingLayout.SlotHeaderSize;

    /// <summary>The largest record a span can hold.</summary>
    public int MaxRecordBytes => (int)Math.Min(int.MaxValue / 2, Math.Max(1UL, _slotCount / 4) * (ulong)Payload);

    /// <summary>Reserves <paramref name="n"/> consecutive slots: waits while the ring is full (back-pressure), or counts
    /// one drop and returns false with drop-when-full or when the host is gone.</summary>
    private bool Reserve(ulong n, out ulong seq)
    {
        ref var head = ref U64(RingLayout.Head);
        ref var tail = ref U64(RingLayout.Tail);
        var spins = 0;
        while (true)
        {
            seq = Volatile.Read(ref head);
            // the last slot of the n must not overwrite one the consumer has not read (the cached tail first: see Full)
            if (Full(seq + n - 1, Volatile.Read(ref _tailSeen)) && Full(seq + n - 1, RefreshTail(ref tail)))
            {
                if (DropWhenFull || !HostAttached)
                {
                    Interlocked.Increment(ref U64(RingLayout.Dropped));
                    Interlocked.Increment(ref U64(RingLayout.TotalDropped));
                    return false;
                }
                if (spins++ == 0) Interlocked.Increment(ref U64(RingLayout.OffStalls));
                if (spins < 64) Thread.SpinWait(32);
                else Thread.Sleep(spins < 1000 ? 0 : 1);
                continue;
            }
            if (Interlocked.CompareExchange(ref head, seq + n, seq) == seq) return true;
        }
    }

    /// <summary>The record did not fit the slot at <paramref name="seq"/>: publish that slot as a skip, then write the
    /// record into a span (see the class remarks).</summary>
    private bool Spill(SyscallRecord record, byte* slot, ulong seq, ulong lost)
    {
        if (lost > 0) Interlocked.Add(ref U64(RingLayout.Dropped), lost); // the span's first slot carries them instead
        *(uint*)(slot + RingLayout.SlotLength) = SkipLength;
        *(uint*)(slot + RingLayout.SlotLostBefore) = 0;
        Volatile.Write(ref Unsafe.AsRef<ulong>(slot + RingLayout.SlotCommit), seq + 1);

        var length = EncodeWhole(record);
        var staged = t_staging!;
        var n = (ulong)((length + Payload - 1) / Payload);
        if (!Reserve(n, out var first)) return false;
        for (var i = n - 1; i >= 1; i--)
        {
            var s = Slot(first + i);
            var from = (int)i * Payload;
            staged.AsSpan(from, Math.Min(Payload, length - from)).CopyTo(new Span<byte>(s + RingLayout.SlotHeaderSize, Payload));
            *(uint*)(s + RingLayout.SlotLength) = 0;
            *(uint*)(s + RingLayout.SlotLostBefore) = 0;
            Volatile.Write(ref Unsafe.AsRef<ulong>(s + RingLayout.SlotCommit), first + i + 1);
        }
        var head = Slot(first);
        staged.AsSpan(0, Math.Min(Payload, length)).CopyTo(new Span<byte>(head + RingLayout.SlotHeaderSize, Payload));
        *(uint*)(head + RingLayout.SlotLength) = (uint)length;
        *(uint*)(head + RingLayout.SlotLostBefore) = (uint)Math.Min(Interlocked.Exchange(ref U64(RingLayout.Dropped), 0), uint.MaxValue);
        Volatile.Write(ref Unsafe.AsRef<ulong>(head + RingLayout.SlotCommit), first + 1);
        return true;
    }

    /// <summary>Encodes the record into this thread's staging buffer, growing it up to <see cref="MaxRecordBytes"/>.</summary>
    private int EncodeWhole(SyscallRecord record)
    {
        var size = Math.Min(64 * 1024, MaxRecordBytes);
        while (true)
        {
            if (t_staging is null || t_staging.Length < size) t_staging = new byte[size];
            var length = RingCodec.Encode(record, t_staging.AsSpan(0, size));
            if (!RingCodec.IsTruncated(t_staging.AsSpan(0, length)) || size >= MaxRecordBytes) return length;
            size = (int)Math.Min((long)size * 4, MaxRecordBytes);
        }
    }

    /// <summary>Consumer: the record of <paramref name="length"/> bytes spanning the slots from <paramref name="first"/>.</summary>
    private void ReadSpan(ulong first, uint length, SyscallRecord record, Func<ReadOnlySpan<byte>, string> intern, out ulong used)
    {
        used = 1;
        if (length > MaxRecordBytes) throw new InvalidDataException($"ring slot {first}: length {length} exceeds the largest span");
        var n = (ulong)((length + Payload - 1) / Payload);
        if (_gather.Length < length) _gather = new byte[Math.Max(length, 64 * 1024)];
        for (var i = 0UL; i < n; i++)
        {
            var s = Slot(first + i);
            if (Volatile.Read(ref Unsafe.AsRef<ulong>(s + RingLayout.SlotCommit)) != first + i + 1)
                throw new InvalidDataException($"ring slot {first + i}: a span's slot is not published");
            var from = (int)i * Payload;
            new ReadOnlySpan<byte>(s + RingLayout.SlotHeaderSize, (int)Math.Min((uint)Payload, length - (uint)from)).CopyTo(_gather.AsSpan(from));
        }
        used = n;
        RingCodec.Decode(_gather.AsSpan(0, (int)length), record, intern);
    }
}
