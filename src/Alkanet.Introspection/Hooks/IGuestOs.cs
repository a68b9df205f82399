using Alkanet.Core.Records;
using Alkanet.Introspection.Cpu;
using Alkanet.Introspection.Memory;

namespace Alkanet.Introspection.Hooks;

/// <summary>
/// The one plug-in point per guest OS, used by every hook (the TCG plugin, the gdbstub tracer, tests). First the kernel
/// and its system-call sites are found, then each hit at a site becomes a <see cref="SyscallRecord"/>:
/// <list type="number">
/// <item>Discovery, one of two ways. By code (<see cref="SiteCodeLength"/> &gt; 0): the sites are recognised from
/// their code bytes alone (the TCG plugin does it at translation time, with no callback). By state: from a stopped or
/// hitting vCPU's registers (<see cref="DiscoveryRegisters"/>) and its view of memory; a failed attempt is a value and
/// is simply retried. Every OS implements <see cref="Find"/>; the gdbstub, which can read memory before placing
/// anything, uses it for every OS.</item>
/// <item>Hits: <see cref="OnHit"/> with the registers of <see cref="RegistersAt"/> filled in.</item>
/// </list>
/// An implementation is thread-safe across vCPUs (one caller per vCPU at a time) once found; discovery is called by one
/// thread at a time. Guest memory is hostile: nothing here throws for guest data.
/// Adding an OS: one folder with an implementation, and one line in <see cref="GuestOsRegistry"/>.
/// </summary>
public interface IGuestOs
{
    /// <summary>The name the registry knows it by (<c>linux</c>, <c>windows</c>).</summary>
    string Name { get; }

    /// <summary>How many code bytes, from an instruction's address on, <see cref="FindInCode"/> needs; 0 when this OS
    /// cannot find its sites from code alone (then the hook calls <see cref="Find"/> from a vCPU's state).</summary>
    int SiteCodeLength { get; }

    /// <summary>Cheap test before a hook gathers code bytes: could a site start at <paramref name="address"/>?</summary>
    bool CouldBeSite(ulong address);

    /// <summary>Discovery from the code at <paramref name="address"/> (<see cref="SiteCodeLength"/> bytes or fewer).</summary>
    KernelDiscovery FindInCode(ulong address, ReadOnlySpan<byte> code);

    /// <summary>The registers <see cref="Find"/> reads from its <see cref="VcpuState"/>.</summary>
    RegisterSet DiscoveryRegisters { get; }

    /// <summary>Discovery from one vCPU's registers and its view of guest memory.</summary>
    KernelDiscovery Find(in VcpuState cpu, IVirtualMemory memory);

    /// <summary>The result of the discovery that succeeded; null before.</summary>
    KernelDiscovery? Found { get; }

    /// <summary>The registers <see cref="OnHit"/> reads at a site of <paramref name="kind"/>.</summary>
    RegisterSet RegistersAt(SiteKind kind);

    /// <summary>A hit at <paramref name="site"/>: fills <paramref name="record"/> (reset here; <c>no</c> and the
    /// timestamp are the hook's). Returns false when there is nothing to log (e.g. not found yet).</summary>
    bool OnHit(in HookSite site, in VcpuState cpu, IVirtualMemory memory, SyscallRecord record);

    /// <summary>Hits went by without <see cref="OnHit"/> (a paused run): what they would have shown (a task's exit, a
    /// rename) was not seen, so caches of callers must be checked again.</summary>
    void HitsMissed() { }

    /// <summary>One line for the host: what was found (kernel, build, sites) or why not yet.</summary>
    string Describe();
}
