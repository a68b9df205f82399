using System.Runtime.CompilerServices;
using Alkanet.Introspection.Cpu;
using Alkanet.Introspection.Hooks;
using Alkanet.Introspection.Memory;

namespace Alkanet.Vmm.QemuPlugin;

/// <summary>The hitting vCPU's registers through <c>qemu_plugin_read_register</c>, only those a
/// <see cref="RegisterSet"/> names. Handles come from QEMU's register list at the first vCPU init; a register QEMU does
/// not list reads 0. Only valid on a vCPU thread inside a callback registered with QEMU_PLUGIN_CB_R_REGS.</summary>
internal static unsafe class QemuRegisters
{
    private static readonly nint[] Handles = new nint[RegisterNames.All.Length];
    private static int s_resolved;

    /// <summary>Takes the handles from QEMU's register list (once, at vCPU init); returns the names of
    /// <paramref name="needed"/> it lacks.</summary>
    public static IReadOnlyList<string> Resolve(RegisterSet needed)
    {
        if (Interlocked.Exchange(ref s_resolved, 1) == 0)
        {
            var regs = (GArray*)QemuApi.GetRegisters();
            var d = (RegDescriptor*)regs->Data;
            var names = new string[regs->Len];
            for (var i = 0; i < names.Length; i++) names[i] = System.Runtime.InteropServices.Marshal.PtrToStringUTF8((nint)d[i].Name) ?? "";
            var map = RegisterNames.Match(names);
            for (var i = 0; i < map.Length; i++)
                if (map[i] >= 0) Handles[map[i]] = (nint)d[i].Handle;
        }
        return [.. RegisterNames.All.Where((r, i) => (needed & r.Register) != 0 && Handles[i] == 0).Select(r => r.Name)];
    }

    /// <summary>Fills the registers of <paramref name="set"/> into <paramref name="cpu"/>. GS_BASE and KERNEL_GS_BASE
    /// (<see cref="RegisterSet.PerVcpu"/>) come from the vCPU's slot once one of them holds a kernel address.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Fill(RegisterSet set, VcpuSlot slot, ref VcpuState cpu)
    {
        var buffer = slot.RegBuffer;
        if ((set & RegisterSet.Rax) != 0) cpu.Rax = Read(0, buffer);
        if ((set & RegisterSet.Rdx) != 0) cpu.Rdx = Read(1, buffer);
        if ((set & RegisterSet.Rsi) != 0) cpu.Rsi = Read(2, buffer);
        if ((set & RegisterSet.Rdi) != 0) cpu.Rdi = Read(3, buffer);
        if ((set & RegisterSet.Rsp) != 0) cpu.Rsp = Read(4, buffer);
        if ((set & RegisterSet.R8) != 0) cpu.R8 = Read(5, buffer);
        if ((set & RegisterSet.R9) != 0) cpu.R9 = Read(6, buffer);
        if ((set & RegisterSet.R10) != 0) cpu.R10 = Read(7, buffer);
        if ((set & RegisterSet.Cr3) != 0)
        {
            cpu.Cr3 = Read(8, buffer);
            cpu.Known |= KnownRegisters.Control;
        }
        if ((set & RegisterSet.PerVcpu) == 0) return;
        if (!GuestReader.IsKernelAddress(slot.GsBase) && !GuestReader.IsKernelAddress(slot.KernelGsBase))
        {   // the kernel's per-cpu base / KPCR: fixed per vCPU once the kernel runs
            if ((set & RegisterSet.GsBase) != 0) slot.GsBase = Read(9, buffer);
            if ((set & RegisterSet.KernelGsBase) != 0) slot.KernelGsBase = Read(10, buffer);
        }
        cpu.GsBase = slot.GsBase;
        cpu.KernelGsBase = slot.KernelGsBase;
    }

    /// <summary>True when QEMU lists every register of <paramref name="set"/> (after <see cref="Resolve"/>).</summary>
    public static bool Have(RegisterSet set)
    {
        for (var i = 0; i < RegisterNames.All.Length; i++)
            if ((set & RegisterNames.All[i].Register) != 0 && Handles[i] == 0) return false;
        return true;
    }

    /// <summary>CR3 now (a hit that walks the page tables itself asks for it at its first read).</summary>
    public static ulong ReadCr3(GByteArray* buffer) => Read(8, buffer);

    /// <summary>CR4 now (its LA57 bit: the paging mode).</summary>
    public static ulong ReadCr4(GByteArray* buffer) => Read(11, buffer);

    /// <summary>Reads GS_BASE and KERNEL_GS_BASE now (discovery: early boot changes them), without caching.</summary>
    public static void FillFresh(RegisterSet set, VcpuSlot slot, ref VcpuState cpu)
    {
        Fill(set & ~RegisterSet.PerVcpu, slot, ref cpu);
        if ((set & RegisterSet.GsBase) != 0) cpu.GsBase = Read(9, slot.RegBuffer);
        if ((set & RegisterSet.KernelGsBase) != 0) cpu.KernelGsBase = Read(10, slot.RegBuffer);
    }

    /// <summary>One register's value through a vCPU's own buffer (0 for an unknown handle or an odd size).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Read(int index, GByteArray* buffer)
    {
        var handle = (void*)Handles[index];
        if (handle == null) return 0;
        buffer->Len = 0; // qemu_plugin_read_register appends
        var n = QemuApi.ReadRegister(handle, buffer);
        return n >= 8 ? *(ulong*)buffer->Data : n == 4 ? *(uint*)buffer->Data : 0;
    }
}
