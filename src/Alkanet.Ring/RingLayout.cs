namespace Alkanet.Ring;

/// <summary>
/// The shared-memory trace ring between the in-QEMU hook (producer, one thread per vCPU) and the host-side
/// tracer (one consumer). A file in /dev/shm both map: a 4 KiB control block, then fixed-size slots.
/// A producer reserves a slot with a CAS on <see cref="Head"/> (so vCPUs never share one), writes the encoded
/// record, then publishes it by storing seq+1 in the slot's commit word; the consumer reads slots in order
/// and advances <see cref="Tail"/>. When the ring is full the producer waits (back-pressure, the default:
/// the guest slows down) or, with <see cref="FlagDropWhenFull"/>, counts the record in <see cref="Dropped"/>;
/// the next record that gets a slot carries that count and the consumer turns it into a LOSS record, so a
/// gap is never silent. This project is referenced by the plugin too (net9.0 NativeAOT), so it stays
/// free of anything the plugin's net9.0 NativeAOT build lacks.
/// </summary>
public static class RingLayout
{
    public const ulong Magic = 0x31474E49524B4C41; // "ALKRING1"
    public const uint Version = 2; // 2: strings of 64 KiB and more (RingCodec), records spanning slots (TraceRing.Spans)
    public const int HeaderSize = 4096;
    public const int SlotHeaderSize = 16;
    public const int DefaultSlotSize = 1024;
    public const int DefaultSlotCount = 32768;

    // Control block (byte offsets). Head, tail and the loss counter each own a cache line.
    public const int OffMagic = 0;
    public const int OffVersion = 8;
    public const int OffSlotSize = 12;
    public const int OffSlotCount = 16;
    public const int OffFlags = 24;
    public const int OffHostAttached = 28;
    public const int OffFilterTgid = 32;
    public const int Head = 64;
    public const int Tail = 128;
    public const int Dropped = 192;
    public const int TotalDropped = 200;
    public const int OffPluginState = 256;
    public const int OffSlide = 264;
    public const int OffHits = 272;
    public const int OffErrors = 280;
    public const int OffStalls = 288;

    // Windows mode (os=windows): kernel discovery inside the plugin. The status text is UTF-8, a u32 length then
    // the bytes, written only by the one vCPU thread that holds the discovery turn; the host reads it at the end.
    public const int OffDiscoveryAttempts = 296;
    public const int OffDiscoveryFailures = 304;
    public const int OffKernelBase = 312;
    public const int OffOsStatus = 1024;
    public const int OsStatusCapacity = 2048;

    public const uint FlagPaused = 1;
    public const uint FlagDropWhenFull = 2;

    public const ulong PluginLoaded = 1;
    public const ulong PluginSlideFound = 2;
    public const ulong PluginKernelFound = 4;

    // Slot: u64 commit (seq + 1 once published), u32 payload length, u32 records lost just before this one.
    public const int SlotCommit = 0;
    public const int SlotLength = 8;
    public const int SlotLostBefore = 12;

    public static long FileSize(int slotSize, int slotCount) => HeaderSize + (long)slotSize * slotCount;
}
