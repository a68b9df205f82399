using Alkanet.Core.Records;
using Alkanet.Introspection.Cpu;
using Alkanet.Introspection.Memory;

namespace Alkanet.Vmm.Gdb;

/// <summary>Whether a hook site is the system call's way in or its way out.</summary>
public enum HookKind
{
    Enter,
    Exit,
}

/// <summary>A guest-virtual code address the hook stops at (e.g. Linux x64_sys_call, Windows KiSystemCall64's dispatch).</summary>
public readonly record struct HookSite(ulong Address, HookKind Kind, string Name);

/// <summary>
/// The OS side of a hook: it names the sites and turns one hit (the hitting vCPU's registers and its view of
/// guest memory) into a record. OS profiles (Linux, Windows) implement it; the hook stays OS-neutral.
/// Guest memory is hostile: a decoder reads with bounds and reports unreadable values in the record, it never throws
/// for guest data.
/// </summary>
public interface IHookDecoder
{
    /// <summary>The sites to break on; read once when tracing starts.</summary>
    IReadOnlyList<HookSite> Sites { get; }

    /// <summary>Fills <paramref name="record"/> (already reset) for a hit at <paramref name="site"/>; returns false when
    /// the hit yields no record (a filtered process, say). The tracer sets <c>no</c>, <c>cpu_id</c>, the timestamp and
    /// cr3 (when the decoder left them unset) afterwards.</summary>
    bool Decode(HookSite site, in VcpuState state, IVirtualMemory memory, SyscallRecord record);
}
