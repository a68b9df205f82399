namespace Alkanet.Introspection.Memory;

/// <summary>Reads the user half through one address space and the kernel half through another. With KVA shadow a
/// thread in user mode runs on a CR3 that maps almost none of the kernel; every process's kernel CR3 maps the
/// same kernel half, so kernel structures are read through the kernel CR3 found at discovery.</summary>
public sealed class SplitVirtualMemory(IVirtualMemory user, IVirtualMemory kernel) : IVirtualMemory
{
    public IVirtualMemory User { get; } = user;
    public IVirtualMemory Kernel { get; } = kernel;

    public int Read(ulong virtualAddress, Span<byte> destination) =>
        ((long)virtualAddress < 0 ? Kernel : User).Read(virtualAddress, destination);
}
