using System.Buffers.Binary;
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
    private readonly ulong _identityEnd; // [0, _identityEnd) is at file offset = address (all RAM below the PCI hole)

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
        var first = _ranges[0];
        _identityEnd = first.GuestPhysical == 0 && first.FileOffset == 0 ? Math.Min(first.Length, _length) : 0;
    }

    public ulong Size { get; }

    public bool TryRead(ulong physicalAddress, Span<byte> destination)
    {
        if (physicalAddress < _identityEnd && (ulong)destination.Length <= _identityEnd - physicalAddress)
        {   // the common case, without the range search: a page walk reads 4 entries a miss
            new ReadOnlySpan<byte>(_base + physicalAddress, destination.Length).CopyTo(destination);
            return true;
        }
        if (!PhysicalRange.TryMap(_ranges, physicalAddress, (ulong)destination.Length, out var offset)) return false;
        if (offset > _length || (ulong)destination.Length > _length - offset) return false;
        new ReadOnlySpan<byte>(_base + offset, destination.Length).CopyTo(destination);
        return true;
    }

    public bool TryReadU64(ulong physicalAddress, out ulong value)
    {
        if (physicalAddress < _identityEnd && _identityEnd - physicalAddress >= 8)
        {
            value = BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(_base + physicalAddress, 8));
            return true;
        }
        Span<byte> b = stackalloc byte[8];
        var ok = TryRead(physicalAddress, b);
        value = ok ? BinaryPrimitives.ReadUInt64LittleEndian(b) : 0;
        return ok;
    }

    public void Dispose()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
