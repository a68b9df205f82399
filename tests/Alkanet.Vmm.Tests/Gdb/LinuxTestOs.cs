using System.Buffers.Binary;
using System.Globalization;
using Alkanet.Core.Records;
using Alkanet.Introspection.Cpu;
using Alkanet.Introspection.Hooks;
using Alkanet.Introspection.Memory;

namespace Alkanet.Vmm.Tests.Gdb;

/// <summary>
/// A TEST OS for the hook's own mechanics (the breakpoint loop, the write guard, failures), not the Linux
/// profile: it knows only the x86-64 system-call ABI (the number in ESI at x64_sys_call, the arguments and result in
/// the pt_regs that RDI points to, whose layout is kernel ABI) and no task_struct offsets, so records carry no pid or
/// process name, and it needs neither a profile nor guest kernel data (the fake stub serves only pt_regs). The real
/// Linux OS is <see cref="Alkanet.Introspection.Linux.LinuxOs"/> (tests: LinuxGdbDecoderTests, LiveLinuxGdbDecoderTests, TraceLinuxTests).
/// </summary>
internal sealed class LinuxTestOs(ulong entrySite, ulong exitSite) : KnownSitesOs("linux-test",
    [new HookSite(entrySite, SiteKind.Enter, "x64_sys_call"), new HookSite(exitSite, SiteKind.Exit, "syscall_exit_to_user_mode_prepare")])
{
    // struct pt_regs, in 8-byte slots: r15 r14 r13 r12 bp bx r11 r10 r9 r8 ax cx dx si di orig_ax ip cs flags sp ss.
    private const int PtRegsBytes = 21 * 8;
    private const int Ax = 10, Dx = 12, Si = 13, Di = 14, R10 = 7, R8 = 9, R9 = 8, OrigAx = 15, Cs = 17;

    /// <summary>Hits whose pt_regs could not be read (hostile or unmapped pointer).</summary>
    public int Unreadable { get; private set; }

    public override bool OnHit(in HookSite site, in VcpuState state, IVirtualMemory memory, SyscallRecord record)
    {
        record.Reset();
        var regs = new byte[PtRegsBytes];
        var readable = memory.TryRead(state.Rdi, regs);
        ulong Slot(int i) => BinaryPrimitives.ReadUInt64LittleEndian(regs.AsSpan(i * 8));
        if (!readable) Unreadable++;
        if (site.Kind != SiteKind.Exit)
        {
            record.LogType = LogType.Enter;
            record.SysNo = state.Rsi & 0xffffffff;
            if (readable) record.Args = [Slot(Di), Slot(Si), Slot(Dx), Slot(R10), Slot(R8), Slot(R9)];
        }
        else
        {
            record.LogType = LogType.Exit;
            record.SysNo = readable ? Slot(OrigAx) : ulong.MaxValue;
            record.RetVal = readable ? Slot(Ax) : 0;
        }
        record.Name = "unknown_" + record.SysNo.ToString(CultureInfo.InvariantCulture);
        if (!readable) record.AdditionalInfo.Set("pt_regs", "unreadable");
        else if ((Slot(Cs) & 3) != 3) record.AdditionalInfo.Set("caller", "kernel");
        return true;
    }
}
