using Microsoft.Win32.SafeHandles;

namespace Alkanet.Introspection.Memory;

/// <summary>A raw physical memory image file (a dump, or a copy of a RAM file) read with positional reads;
/// guest-physical address = file offset unless ranges say otherwise. Thread-safe: no shared file position.</summary>
public sealed class RawImagePhysicalMemory : IPhysicalMemory, IDisposable
{
    private readonly SafeFileHandle _file;
    private readonly PhysicalRange[] _ranges;

    public RawImagePhysicalMemory(string path, IReadOnlyList<PhysicalRange>? ranges = null)
    {
        _file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var length = (ulong)RandomAccess.GetLength(_file);
        _ranges = ranges is { Count: > 0 } ? [.. ranges] : [new PhysicalRange(0, 0, length)];
        Size = _ranges.Max(r => r.GuestPhysical + r.Length);
        Path = path;
    }

    public string Path { get; }

    public ulong Size { get; }

    public bool TryRead(ulong physicalAddress, Span<byte> destination)
    {
        if (!PhysicalRange.TryMap(_ranges, physicalAddress, (ulong)destination.Length, out var offset)) return false;
        try
        {
            var total = 0;
            while (total < destination.Length)
            {
                var n = RandomAccess.Read(_file, destination[total..], (long)offset + total);
                if (n <= 0) return false;
                total += n;
            }
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    public void Dispose() => _file.Dispose();
}
