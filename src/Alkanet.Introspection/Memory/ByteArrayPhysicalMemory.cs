namespace Alkanet.Introspection.Memory;

/// <summary>Guest-physical memory held in a byte array (address = index): synthetic guests and small images.</summary>
public sealed class ByteArrayPhysicalMemory(byte[] bytes) : IPhysicalMemory
{
    public byte[] Bytes { get; } = bytes;

    public ulong Size => (ulong)Bytes.LongLength;

    public bool TryRead(ulong physicalAddress, Span<byte> destination)
    {
        if (physicalAddress > Size || (ulong)destination.Length > Size - physicalAddress) return false;
        Bytes.AsSpan((int)physicalAddress, destination.Length).CopyTo(destination);
        return true;
    }
}
