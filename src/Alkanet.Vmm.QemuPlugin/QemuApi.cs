using System.Runtime.InteropServices;

namespace Alkanet.Vmm.QemuPlugin;

/// <summary>The few QEMU plugin API (version 4, QEMU >= 10.0) and glib functions the hook calls, resolved from
/// the QEMU process itself (<see cref="NativeLibrary.GetMainProgramHandle"/>): Debian ships no qemu-plugin.h,
/// so the signatures are declared here from QEMU's public plugin API documentation.</summary>
internal static unsafe class QemuApi
{
    public const int CbNoRegs = 0; // enum qemu_plugin_cb_flags: QEMU_PLUGIN_CB_NO_REGS
    public const int CbReadRegs = 1; // QEMU_PLUGIN_CB_R_REGS

    public static delegate* unmanaged<ulong, delegate* unmanaged<ulong, void*, void>, void*, void> RegisterAtexit;
    public static delegate* unmanaged<ulong, delegate* unmanaged<ulong, uint, void>, void> RegisterVcpuInit;
    public static delegate* unmanaged<ulong, delegate* unmanaged<ulong, void*, void>, void> RegisterTbTrans;
    public static delegate* unmanaged<void*, delegate* unmanaged<uint, void*, void>, int, void*, void> RegisterInsnExec;
    public static delegate* unmanaged<void*, nuint> TbNInsns;
    public static delegate* unmanaged<void*, nuint, void*> TbGetInsn;
    public static delegate* unmanaged<void*, ulong> InsnVaddr;
    public static delegate* unmanaged<void*, void*, nuint, nuint> InsnData;
    public static delegate* unmanaged<void*> GetRegisters;
    public static delegate* unmanaged[SuppressGCTransition]<void*, void*, int> ReadRegister;
    public static delegate* unmanaged[SuppressGCTransition]<ulong, void*, nuint, byte> ReadMemoryVaddr;
    public static delegate* unmanaged<byte*, void> Outs;
    public static delegate* unmanaged<void*> GByteArrayNew;
    public static delegate* unmanaged<ulong, delegate* unmanaged<ulong, void>, void> Reset;

    /// <summary>Resolves every function; returns the name of the first one missing, or null.</summary>
    public static string? Resolve()
    {
        var h = NativeLibrary.GetMainProgramHandle();
        nint p;
        if (!Get(h, "qemu_plugin_register_atexit_cb", out p)) return "qemu_plugin_register_atexit_cb";
        RegisterAtexit = (delegate* unmanaged<ulong, delegate* unmanaged<ulong, void*, void>, void*, void>)p;
        if (!Get(h, "qemu_plugin_register_vcpu_init_cb", out p)) return "qemu_plugin_register_vcpu_init_cb";
        RegisterVcpuInit = (delegate* unmanaged<ulong, delegate* unmanaged<ulong, uint, void>, void>)p;
        if (!Get(h, "qemu_plugin_register_vcpu_tb_trans_cb", out p)) return "qemu_plugin_register_vcpu_tb_trans_cb";
        RegisterTbTrans = (delegate* unmanaged<ulong, delegate* unmanaged<ulong, void*, void>, void>)p;
        if (!Get(h, "qemu_plugin_register_vcpu_insn_exec_cb", out p)) return "qemu_plugin_register_vcpu_insn_exec_cb";
        RegisterInsnExec = (delegate* unmanaged<void*, delegate* unmanaged<uint, void*, void>, int, void*, void>)p;
        if (!Get(h, "qemu_plugin_tb_n_insns", out p)) return "qemu_plugin_tb_n_insns";
        TbNInsns = (delegate* unmanaged<void*, nuint>)p;
        if (!Get(h, "qemu_plugin_tb_get_insn", out p)) return "qemu_plugin_tb_get_insn";
        TbGetInsn = (delegate* unmanaged<void*, nuint, void*>)p;
        if (!Get(h, "qemu_plugin_insn_vaddr", out p)) return "qemu_plugin_insn_vaddr";
        InsnVaddr = (delegate* unmanaged<void*, ulong>)p;
        if (!Get(h, "qemu_plugin_insn_data", out p)) return "qemu_plugin_insn_data";
        InsnData = (delegate* unmanaged<void*, void*, nuint, nuint>)p;
        if (!Get(h, "qemu_plugin_get_registers", out p)) return "qemu_plugin_get_registers";
        GetRegisters = (delegate* unmanaged<void*>)p;
        if (!Get(h, "qemu_plugin_read_register", out p)) return "qemu_plugin_read_register";
        ReadRegister = (delegate* unmanaged[SuppressGCTransition]<void*, void*, int>)p;
        if (!Get(h, "qemu_plugin_read_memory_vaddr", out p)) return "qemu_plugin_read_memory_vaddr";
        ReadMemoryVaddr = (delegate* unmanaged[SuppressGCTransition]<ulong, void*, nuint, byte>)p;
        if (!Get(h, "qemu_plugin_outs", out p)) return "qemu_plugin_outs";
        Outs = (delegate* unmanaged<byte*, void>)p;
        if (!Get(h, "g_byte_array_new", out p)) return "g_byte_array_new";
        GByteArrayNew = (delegate* unmanaged<void*>)p;
        if (!Get(h, "qemu_plugin_reset", out p)) return "qemu_plugin_reset";
        Reset = (delegate* unmanaged<ulong, delegate* unmanaged<ulong, void>, void>)p;
        return null;
    }

    private static bool Get(nint handle, string name, out nint p) => NativeLibrary.TryGetExport(handle, name, out p);

    public static void Print(string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text + "\n\0");
        fixed (byte* b = bytes) Outs(b);
    }
}

/// <summary>glib's GByteArray as QEMU hands it over: { guint8 *data; guint len; }.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct GByteArray
{
    public byte* Data;
    public uint Len;
}

/// <summary>glib's GArray header: { gchar *data; guint len; }.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct GArray
{
    public byte* Data;
    public uint Len;
}

/// <summary>struct qemu_plugin_reg_descriptor { struct qemu_plugin_register *handle; const char *name; const char *feature; }.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct RegDescriptor
{
    public void* Handle;
    public byte* Name;
    public byte* Feature;
}
