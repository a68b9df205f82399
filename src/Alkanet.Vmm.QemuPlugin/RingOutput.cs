using System.Runtime.CompilerServices;
using Alkanet.Core.Records;
using Alkanet.Ring;

namespace Alkanet.Vmm.QemuPlugin;

/// <summary>The last step of a hit in every OS mode: the host's process filter, the timestamp, the ring write.</summary>
internal static class RingOutput
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Publish(TraceRing ring, SyscallRecord record, RingStringCache strings)
    {
        var filter = ring.FilterPid;
        if (filter != 0 && record.Pid != filter) return;
        record.TimestampNs = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;
        ring.TryWrite(record, strings);
    }
}
