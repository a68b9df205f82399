namespace Alkanet.Introspection.Windows.Live;

/// <summary>The registers an in-VMM hook can read at a hit (QEMU's plugin register list names them; it has no
/// MSR LSTAR and no IDTR, which is why discovery goes through the KPCR).</summary>
public enum GuestRegister
{
    Rax, Rdx, Rsp, R8, R9, R10, Cr3, GsBase, KernelGsBase,
}

/// <summary>Reads one register of the hitting vCPU. The QEMU plugin implements it with
/// <c>qemu_plugin_read_register</c>; tests serve a <see cref="Cpu.VcpuState"/>. A register the hook cannot read is 0.</summary>
public interface IGuestRegisters
{
    ulong Read(GuestRegister register);
}
