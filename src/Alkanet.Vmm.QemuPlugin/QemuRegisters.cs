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
        HandlesOf(Names).CopyTo(Handles, 0);
        return [.. Names.Where((_, i) => Handles[i] == 0)];
    }

    /// <summary>QEMU's handles for <paramref name="names"/>, in that order (0 where QEMU lists no such register).
    /// Only valid on a vCPU thread (vCPU init or a callback).</summary>
    public static nint[] HandlesOf(IReadOnlyList<string> names)
    {
        var handles = new nint[names.Count];
        var regs = (GArray*)QemuApi.GetRegisters();
        var d = (RegDescriptor*)regs->Data;
        for (var i = 0; i < regs->Len; i++)
        {
            var name = System.Runtime.InteropServices.Marshal.PtrToStringUTF8((nint)d[i].Name);
            for (var j = 0; j < names.Count; j++)
                if (names[j] == name) handles[j] = (nint)d[i].Handle;
        }
        return handles;
    }

    /// <summary>One register's value through a vCPU's own buffer (0 for an unknown handle or an odd size).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static ulong ReadWith(void* handle, GByteArray* buffer)
    {
        if (handle == null) return 0;
        buffer->Len = 0; // qemu_plugin_read_register appends
        var n = QemuApi.ReadRegister(handle, buffer);
        return n >= 8 ? *(ulong*)buffer->Data : n == 4 ? *(uint*)buffer->Data : 0;
    }

    public ulong Read(GuestRegister register) => ReadWith((void*)Handles[(int)register], _buffer);
}
