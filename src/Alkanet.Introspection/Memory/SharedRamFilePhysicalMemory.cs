using System.IO.MemoryMappedFiles;

namespace Alkanet.Introspection.Memory;

/// <summary>The guest's RAM file shared with QEMU (<c>-object memory-backend-file,share=on,mem-path=FILE</c>),
/// mapped read-only into this process: a read is a memory copy, with no system call. Guest-physical address =
/// file offset, unless ranges describe where RAM above the PCI hole lives in the file.</summary>
public sealed unsafe class SharedRamFilePhysicalMemory : IPhysicalMemory, IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly ulong _length;
    private readonly PhysicalRange[] _ranges;

    public SharedRamFilePhysicalMemory(string path, IReadOnlyList<PhysicalRange>? ranges = null)
    {
        var length = new FileInfo(path).Length;
        if (length == 0) throw new IOException($"{path}: the RAM file is empty");
        _map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        _view = _map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _base = p + _view.PointerOffset;
        _length = (ulong)length;
        _ranges = ranges is { Count: > 0 } ? [.. ranges] : [new PhysicalRange(0, 0, _length)];
        Size = _ranges.Max(r => r.GuestPhysical + r.Length);
    }

    public ulong Size { get; }

    public bool TryRead(ulong physicalAddress, Span<byte> destination)
    {
        if (!PhysicalRange.TryMap(_ranges, physicalAddress, (ulong)destination.Length, out var offset)) return false;
        if (offset > _length || (ulong)destination.Length > _length - offset) return false;
        new ReadOnlySpan<byte>(_base + offset, destination.Length).CopyTo(destination);
        return true;
    }

    public void Dispose()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
