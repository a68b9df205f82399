using Alkanet.Core.Json;
using Alkanet.Core.Records;
using Alkanet.Core.Sinks;
using Alkanet.Ring;

namespace Alkanet.Vmm.Live;

/// <summary>The host side of the ring: drains published records in order into a sink, numbering them gap-free
/// (<c>no</c>), turning every reported drop into a LOSS record that covers the lost numbers.</summary>
public sealed class RingDrain
{
    private readonly TraceRing ring;
    private readonly IRecordSink sink;
    private readonly SyscallRecord _record = new();
    // names repeat: one string each, the recent ones recognised by their bytes
    private readonly Func<ReadOnlySpan<byte>, string> _intern = new RecentUtf8Strings(new Utf8StringPool().Get).Get;
    private long _next;

    public RingDrain(TraceRing ring, IRecordSink sink, long firstNo = 0)
    {
        this.ring = ring;
        this.sink = sink;
        _next = firstNo;
    }

    /// <summary>Records written to the sink (LOSS markers included).</summary>
    public long Written { get; private set; }

    /// <summary>Records reported lost.</summary>
    public long Lost { get; private set; }

    /// <summary>When set, records it rejects are consumed but not numbered or written (a logger's filter: applied
    /// before numbering, so <c>no</c> stays gap-free). Read once per record; may be replaced at any time.</summary>
    public Func<SyscallRecord, bool>? Filter { get; set; }

    /// <summary>Records consumed from the ring but left out by <see cref="Filter"/>.</summary>
    public long Filtered { get; private set; }

    /// <summary>The next sequence number.</summary>
    public long NextNo => _next;

    /// <summary>Drains what is ready now; returns how many ring records were consumed.</summary>
    public int DrainAvailable(int max = int.MaxValue)
    {
        var n = 0;
        while (n < max)
        {
            uint lostBefore;
            try
            {
                if (!ring.TryRead(_record, _intern, out lostBefore)) break;
            }
            catch (InvalidDataException)
            {   // a slot the producer could not fill: it stands for one record, reported as lost
                if (ring.LastLostBefore > 0) WriteLoss(ring.LastLostBefore, "ring_full");
                WriteLoss(1, "undecodable_record");
                n++;
                continue;
            }
            if (lostBefore > 0) WriteLoss(lostBefore, "ring_full");
            if (Filter is { } keep && !keep(_record))
            {
                Filtered++;
                n++;
                continue;
            }
            _record.No = _next++;
            sink.Write(_record);
            Written++;
            n++;
        }
        return n;
    }

    /// <summary>At the end of a run: drain the rest, then account for slots a dead producer reserved but never
    /// published and for drops no later record carried.</summary>
    public void Finish()
    {
        DrainAvailable();
        var abandoned = ring.AbandonUnpublished();
        if (abandoned > 0) WriteLoss(abandoned, "producer_stopped_mid_write");
        var dropped = ring.TakePendingDropped();
        if (dropped > 0) WriteLoss(dropped, "ring_full");
        sink.Flush();
    }

    private void WriteLoss(ulong count, string reason)
    {
        var first = _next;
        var last = _next + (long)count - 1;
        var loss = SyscallRecord.LossMarker(first, last, reason);
        sink.Write(loss);
        Written++;
        Lost += (long)count;
        _next = last + 1;
    }
}
