using Alkanet.Introspection.Memory;

namespace Alkanet.Introspection.TestKit;

/// <summary>Guest-physical memory of a given size whose pages exist only once written (untouched RAM reads as
/// zeros), so a synthetic guest can place a kernel at realistic addresses without gigabytes of arrays.
/// Ranges can be marked as holes (not backed) to test failed reads.</summary>
/// <param name="size">Size of the physical address space.</param>
/// <param name="firstFrame">Where frame allocation starts: 1 MiB by default (frames below are left alone, as on a PC);
/// a bootable guest puts its frames in the window its loader reserves.</param>
public sealed class SparsePhysicalMemory(ulong size, ulong firstFrame = 0x10_0000) : IPhysicalMemory
{
    private readonly Dictionary<ulong, byte[]> _frames = [];
    private readonly List<(ulong Start, ulong End)> _holes = [];
    private ulong _nextFree = firstFrame;

    public ulong Size { get; } = size;

    /// <summary>The first frame the allocator hands out.</summary>
    public ulong FirstFrame { get; } = firstFrame;

    /// <summary>One past the last allocated frame: [FirstFrame, NextFree) holds every allocated frame.</summary>
    public ulong NextFree => _nextFree;

    /// <summary>The written frames (physical address, 4 KiB contents), in address order.</summary>
    public IEnumerable<(ulong Address, byte[] Contents)> WrittenFrames() =>
        _frames.OrderBy(f => f.Key).Select(f => (f.Key << 12, f.Value));

    public int BackedFrames => _frames.Count;

    /// <summary>Makes [start, start+length) unreadable (reads touching it fail).</summary>
    public void AddHole(ulong start, ulong length) => _holes.Add((start, start + length));

    /// <summary>A fresh zeroed 4 KiB frame (its physical address).</summary>
    public ulong AllocateFrame() => AllocateFrames(1);

    public ulong AllocateFrames(int count, ulong alignment = 4096)
    {
        _nextFree = (_nextFree + alignment - 1) & ~(alignment - 1);
        var pa = _nextFree;
        _nextFree += (ulong)count * 4096;
        if (_nextFree > Size) throw new InvalidOperationException("synthetic guest out of physical memory");
        return pa;
    }

    public bool TryRead(ulong physicalAddress, Span<byte> destination)
    {
        if (physicalAddress > Size || (ulong)destination.Length > Size - physicalAddress) return false;
        foreach (var (s, e) in _holes)
            if (physicalAddress < e && physicalAddress + (ulong)destination.Length > s) return false;
        var done = 0;
        while (done < destination.Length)
        {
            var pa = physicalAddress + (ulong)done;
            var n = (int)Math.Min((ulong)(destination.Length - done), 4096 - (pa & 0xFFF));
            if (_frames.TryGetValue(pa >> 12, out var frame)) frame.AsSpan((int)(pa & 0xFFF), n).CopyTo(destination.Slice(done, n));
            else destination.Slice(done, n).Clear();
            done += n;
        }
        return true;
    }

    public void Write(ulong physicalAddress, ReadOnlySpan<byte> data)
    {
        var done = 0;
        while (done < data.Length)
        {
            var pa = physicalAddress + (ulong)done;
            var n = (int)Math.Min((ulong)(data.Length - done), 4096 - (pa & 0xFFF));
            if (!_frames.TryGetValue(pa >> 12, out var frame)) _frames[pa >> 12] = frame = new byte[4096];
            data.Slice(done, n).CopyTo(frame.AsSpan((int)(pa & 0xFFF), n));
            done += n;
        }
    }

    public void WriteU64(ulong physicalAddress, ulong value) => Write(physicalAddress, BitConverter.GetBytes(value));

    /// <summary>Writes the memory as a sparse file (guest-physical address = file offset), like QEMU's shared RAM
    /// file: only written frames take disk space.</summary>
    public void SaveSparse(string path)
    {
        using var f = new FileStream(path, FileMode.Create, FileAccess.Write);
        f.SetLength((long)Size);
        foreach (var (frame, bytes) in _frames)
        {
            f.Position = (long)(frame << 12);
            f.Write(bytes);
        }
    }

    /// <summary>A raw image of the first <paramref name="length"/> bytes (for file-backed source tests).</summary>
    public byte[] ToArray(ulong length)
    {
        var a = new byte[length];
        TryRead(0, a);
        return a;
    }
}
