using Alkanet.Introspection.Windows.Live;

namespace Alkanet.Vmm.QemuPlugin;

/// <summary>The hitting vCPU's registers through <c>qemu_plugin_read_register</c> (one per vCPU: its buffer is
/// reused). Handles come from QEMU's register list at the first vCPU init; a register QEMU does not list reads 0.
/// Only valid on a vCPU thread inside a callback registered with QEMU_PLUGIN_CB_R_REGS.</summary>
internal sealed unsafe class QemuRegisters : IGuestRegisters
{
    private static readonly string[] Names = ["rax", "rdx", "rsp", "r8", "r9", "r10", "cr3", "gs_base", "k_gs_base"]; // GuestRegister order
    private static readonly nint[] Handles = new nint[Names.Length];
    private readonly GByteArray* _buffer = (GByteArray*)QemuApi.GByteArrayNew();

    /// <summary>Takes the handles from QEMU's register list (vCPU init); returns the names it lacks.</summary>
    public static List<string> Resolve()
    {
        var regs = (GArray*)QemuApi.GetRegisters();
        var d = (RegDescriptor*)regs->Data;
        for (var i = 0; i < regs->Len; i++)
        {
            var index = Array.IndexOf(Names, System.Runtime.InteropServices.Marshal.PtrToStringUTF8((nint)d[i].Name));
            if (index >= 0) Handles[index] = (nint)d[i].Handle;
        }
        return [.. Names.Where((_, i) => Handles[i] == 0)];
    }

    public ulong Read(GuestRegister register)
    {
        var handle = Handles[(int)register];
        if (handle == 0) return 0;
        _buffer->Len = 0; // qemu_plugin_read_register appends
        var n = QemuApi.ReadRegister((void*)handle, _buffer);
        return n >= 8 ? *(ulong*)_buffer->Data : n == 4 ? *(uint*)_buffer->Data : 0;
    }
}
