using System.IO.MemoryMappedFiles;
using System.Runtime.CompilerServices;
using Alkanet.Core.Records;

namespace Alkanet.Ring;

/// <summary>One mapping of the ring file (see <see cref="RingLayout"/>): the host creates it, the plugin opens it.
/// Producer side: <see cref="TryWrite"/> (any number of threads). Consumer side: <see cref="TryRead"/> (one thread).</summary>
public sealed unsafe partial class TraceRing : IDisposable
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly ulong _slotCount;
    private readonly int _slotSize;
    private bool _disposed;
    // The producers' last view of the consumer's tail (this process's memory, not the shared file): the tail is written
    // by the consumer for every record, so reading it on every write would move its cache line between cores each time.
    // It only grows; a stale value merely makes a producer read the real tail before it waits.
    private ulong _tailSeen;

    public string Path { get; }

    public int SlotSize => _slotSize;

    public long SlotCount => (long)_slotCount;

    private TraceRing(string path, MemoryMappedFile file, MemoryMappedViewAccessor view)
    {
        Path = path;
        _file = file;
        _view = view;
        byte* p = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _base = p + view.PointerOffset;
        _slotSize = (int)*(uint*)(_base + RingLayout.OffSlotSize);
        _slotCount = *(ulong*)(_base + RingLayout.OffSlotCount);
    }

    /// <summary>Creates (or replaces) the ring file and initialises its control block.</summary>
    public static TraceRing Create(string path, int slotSize = RingLayout.DefaultSlotSize, int slotCount = RingLayout.DefaultSlotCount,
        bool dropWhenFull = false)
    {
        if (slotSize < 256 || slotSize % 64 != 0) throw new ArgumentOutOfRangeException(nameof(slotSize),
            slotSize, "slot size must be a multiple of 64, at least 256");
        if (slotCount < 2) throw new ArgumentOutOfRangeException(nameof(slotCount), slotCount, "at least 2 slots");
        var size = RingLayout.FileSize(slotSize, slotCount);
        using (var fs = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            fs.SetLength(size);
            Span<byte> header = stackalloc byte[64];
            header.Clear();
            BitConverter.TryWriteBytes(header[RingLayout.OffMagic..], RingLayout.Magic);
            BitConverter.TryWriteBytes(header[RingLayout.OffVersion..], RingLayout.Version);
            BitConverter.TryWriteBytes(header[RingLayout.OffSlotSize..], (uint)slotSize);
            BitConverter.TryWriteBytes(header[RingLayout.OffSlotCount..], (ulong)slotCount);
            BitConverter.TryWriteBytes(header[RingLayout.OffFlags..], dropWhenFull ? RingLayout.FlagDropWhenFull : 0u);
            BitConverter.TryWriteBytes(header[RingLayout.OffHostAttached..], 1u);
            fs.Write(header);
        }
        return Open(path);
    }

    /// <summary>Maps an existing ring file; checks its magic, version and size.</summary>
    public static TraceRing Open(string path)
    {
        var length = new FileInfo(path).Length;
        if (length < RingLayout.HeaderSize) throw new InvalidDataException($"{path}: {length} bytes is too small for a trace ring");
        var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.ReadWrite);
        var view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.ReadWrite);
        var ring = new TraceRing(path, file, view);
        if (*(ulong*)ring._base != RingLayout.Magic || *(uint*)(ring._base + RingLayout.OffVersion) != RingLayout.Version)
        {
            ring.Dispose();
            throw new InvalidDataException($"{path}: byte offset 0: not an Alkanet trace ring (bad magic or version)");
        }
        if (RingLayout.FileSize(ring._slotSize, (int)ring._slotCount) > length || ring._slotSize < 256)
        {
            ring.Dispose();
            throw new InvalidDataException($"{path}: byte offset 12: slot geometry does not fit the file");
        }
        return ring;
    }

    private ref ulong U64(int offset) => ref Unsafe.AsRef<ulong>(_base + offset);

    private ref uint U32(int offset) => ref Unsafe.AsRef<uint>(_base + offset);

    private byte* Slot(ulong seq) => _base + RingLayout.HeaderSize + (long)(seq % _slotCount) * _slotSize;

    // ---- control block ----

    public bool Paused
    {
        get => (Volatile.Read(ref U32(RingLayout.OffFlags)) & RingLayout.FlagPaused) != 0;
        set => SetFlag(RingLayout.FlagPaused, value);
    }

    public bool DropWhenFull
    {
        get => (Volatile.Read(ref U32(RingLayout.OffFlags)) & RingLayout.FlagDropWhenFull) != 0;
        set => SetFlag(RingLayout.FlagDropWhenFull, value);
    }

    /// <summary>When non-zero, only records of this process (tgid) are written.</summary>
    public ulong FilterPid
    {
        get => Volatile.Read(ref U64(RingLayout.OffFilterTgid));
        set => Volatile.Write(ref U64(RingLayout.OffFilterTgid), value);
    }

    /// <summary>Cleared by the host when it stops draining: a waiting producer then drops instead of blocking the guest forever.</summary>
    public bool HostAttached
    {
        get => Volatile.Read(ref U32(RingLayout.OffHostAttached)) != 0;
        set => Volatile.Write(ref U32(RingLayout.OffHostAttached), value ? 1u : 0u);
    }

    public ulong PluginState { get => Volatile.Read(ref U64(RingLayout.OffPluginState)); set => Volatile.Write(ref U64(RingLayout.OffPluginState),
        value); }

    public ulong Slide { get => Volatile.Read(ref U64(RingLayout.OffSlide)); set => Volatile.Write(ref U64(RingLayout.OffSlide), value); }

    public ulong Hits => Volatile.Read(ref U64(RingLayout.OffHits));

    public ulong Errors => Volatile.Read(ref U64(RingLayout.OffErrors));

    public ulong Stalls => Volatile.Read(ref U64(RingLayout.OffStalls));

    public ulong HeadValue => Volatile.Read(ref U64(RingLayout.Head));

    public ulong TailValue => Volatile.Read(ref U64(RingLayout.Tail));

    /// <summary>Records dropped since the last record that got a slot (not yet carried by any slot).</summary>
    public ulong PendingDropped => Volatile.Read(ref U64(RingLayout.Dropped));

    public ulong TotalDropped => Volatile.Read(ref U64(RingLayout.TotalDropped));

    /// <summary>Windows mode: kernel discovery attempts and failed attempts (a failure is retried later).</summary>
    public ulong DiscoveryAttempts { get => Volatile.Read(ref U64(RingLayout.OffDiscoveryAttempts));
        set => Volatile.Write(ref U64(RingLayout.OffDiscoveryAttempts), value); }

    public ulong DiscoveryFailures { get => Volatile.Read(ref U64(RingLayout.OffDiscoveryFailures));
        set => Volatile.Write(ref U64(RingLayout.OffDiscoveryFailures), value); }

    /// <summary>Windows mode: ntoskrnl's base once discovery found it (0 until then).</summary>
    public ulong KernelBase { get => Volatile.Read(ref U64(RingLayout.OffKernelBase)); set => Volatile.Write(ref U64(RingLayout.OffKernelBase),
        value); }

    /// <summary>Windows mode: one line on discovery ("ntoskrnl at ..., build ..." or why not yet), cut to the capacity.</summary>
    public string OsStatus
    {
        get
        {
            var n = (int)Math.Min(Volatile.Read(ref U32(RingLayout.OffOsStatus)), (uint)(RingLayout.OsStatusCapacity - 4));
            return System.Text.Encoding.UTF8.GetString(new ReadOnlySpan<byte>(_base + RingLayout.OffOsStatus + 4, n));
        }
        set
        {
            var dst = new Span<byte>(_base + RingLayout.OffOsStatus + 4, RingLayout.OsStatusCapacity - 4);
            var bytes = System.Text.Encoding.UTF8.GetBytes(value);
            var n = Math.Min(bytes.Length, dst.Length);
            bytes.AsSpan(0, n).CopyTo(dst);
            Volatile.Write(ref U32(RingLayout.OffOsStatus), (uint)n);
        }
    }

    public void CountHit() => Interlocked.Increment(ref U64(RingLayout.OffHits));

    public void CountError() => Interlocked.Increment(ref U64(RingLayout.OffErrors));

    private void SetFlag(uint flag, bool on)
    {
        ref var flags = ref U32(RingLayout.OffFlags);
        uint old, next;
        do
        {
            old = Volatile.Read(ref flags);
            next = on ? old | flag : old & ~flag;
        }
        while (Interlocked.CompareExchange(ref flags, next, old) != old);
    }

    // ---- producer ----

    /// <summary>Writes one record. Returns false when it was dropped (ring full with drop-when-full, or the host gone);
    /// the drop is counted and reported by the next record that gets a slot. Blocks while the ring is full otherwise.</summary>
    public bool TryWrite(SyscallRecord record, RingStringCache? strings = null)
    {
        if (!Reserve(1, out var seq)) return false;
        var slot = Slot(seq);
        var lost = Volatile.Read(ref U64(RingLayout.Dropped)) == 0 ? 0 : Interlocked.Exchange(ref U64(RingLayout.Dropped), 0);
        var payload = new Span<byte>(slot + RingLayout.SlotHeaderSize, _slotSize - RingLayout.SlotHeaderSize);
        int length;
        try
        {
            length = RingCodec.Encode(record, payload, strings);
        }
        catch (ArgumentException)
        {
            length = 0; // still published (an empty payload): a reserved slot left unpublished would stall the consumer for good
        }
        if (length > 0 && RingCodec.IsTruncated(payload)) return Spill(record, slot, seq, lost); // rare: a record larger than a slot
        *(uint*)(slot + RingLayout.SlotLength) = (uint)length;
        *(uint*)(slot + RingLayout.SlotLostBefore) = (uint)Math.Min(lost, uint.MaxValue);
        Volatile.Write(ref Unsafe.AsRef<ulong>(slot + RingLayout.SlotCommit), seq + 1);
        return true;
    }

    /// <summary>Whether slot <paramref name="seq"/> would overwrite one the consumer has not read (signed: a tail read after a
    /// stale head may be ahead of it; the CAS then fails and the producer starts again).</summary>
    private bool Full(ulong seq, ulong tail) => (long)(seq - tail) >= (long)_slotCount;

    private ulong RefreshTail(ref ulong tail)
    {
        var t = Volatile.Read(ref tail);
        Volatile.Write(ref _tailSeen, t);
        return t;
    }

    // ---- consumer ----

    /// <summary>Reads the next published record into <paramref name="record"/>. False when none is ready.
    /// <paramref name="lostBefore"/> is the number of records dropped just before this one.</summary>
    /// <remarks>A published slot that does not decode is consumed all the same and raises
    /// <see cref="InvalidDataException"/>; <see cref="LastLostBefore"/> then still tells the drops it carried.</remarks>
    public bool TryRead(SyscallRecord record, Func<ReadOnlySpan<byte>, string> intern, out uint lostBefore)
    {
        ref var tail = ref U64(RingLayout.Tail);
        var t = tail;
        var slot = Slot(t);
        if (Volatile.Read(ref Unsafe.AsRef<ulong>(slot + RingLayout.SlotCommit)) != t + 1) { lostBefore = 0; LastLostBefore = 0; return false; }
        var length = *(uint*)(slot + RingLayout.SlotLength);
        lostBefore = *(uint*)(slot + RingLayout.SlotLostBefore);
        LastLostBefore = lostBefore;
        if (length == SkipLength)
        {   // a producer moved its record to a multi-slot span further on (Spill)
            Volatile.Write(ref tail, t + 1);
            return TryRead(record, intern, out lostBefore);
        }
        var used = 1UL;
        try
        {
            if (length > _slotSize - RingLayout.SlotHeaderSize) ReadSpan(t, length, record, intern, out used);
            else RingCodec.Decode(new ReadOnlySpan<byte>(slot + RingLayout.SlotHeaderSize, (int)length), record, intern);
        }
        finally
        {
            Volatile.Write(ref tail, t + used);
        }
        return true;
    }

    /// <summary>The drop count carried by the slot <see cref="TryRead"/> last consumed.</summary>
    public uint LastLostBefore { get; private set; }

    /// <summary>Slots reserved by a producer but never published (the producer died mid-write); counted as lost
    /// and skipped. Only meaningful once no producer runs any more.</summary>
    public ulong AbandonUnpublished()
    {
        var head = HeadValue;
        var t = TailValue;
        if (head <= t) return 0;
        Volatile.Write(ref U64(RingLayout.Tail), head);
        return head - t;
    }

    /// <summary>Takes the drop count no later record will carry (at the end of a run).</summary>
    public ulong TakePendingDropped() => Interlocked.Exchange(ref U64(RingLayout.Dropped), 0);

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }
}
