using Alkanet.Core.Records;
using Alkanet.Introspection.Cpu;
using Alkanet.Introspection.Hooks;
using Alkanet.Introspection.Memory;

namespace Alkanet.Vmm.Tests.Gdb;

/// <summary>A TEST OS whose sites are known from the start (no discovery to do): <see cref="Find"/> gives them back at
/// once, so the gdbstub tracer can run it directly or through <c>GdbAttach</c>. Subclasses decode the hits.</summary>
internal abstract class KnownSitesOs(string name, IReadOnlyList<HookSite> sites) : IGuestOs
{
    public string Name { get; } = name;

    public KernelDiscovery? Found { get; } = KernelDiscovery.Success(sites);

    public int SiteCodeLength => 0;

    public bool CouldBeSite(ulong address) => false;

    public KernelDiscovery FindInCode(ulong address, ReadOnlySpan<byte> code) => KernelDiscovery.Failure("not by code");

    public RegisterSet DiscoveryRegisters => RegisterSet.None;

    public KernelDiscovery Find(in VcpuState cpu, IVirtualMemory memory) => Found!;

    public virtual RegisterSet RegistersAt(SiteKind kind) => RegisterSet.Rdi | RegisterSet.Rsi;

    public abstract bool OnHit(in HookSite site, in VcpuState cpu, IVirtualMemory memory, SyscallRecord record);

    public string Describe() => $"{Name}: {Found!.Sites.Count} known sites";
}
