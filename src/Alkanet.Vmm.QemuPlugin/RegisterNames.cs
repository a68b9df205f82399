using Alkanet.Introspection.Hooks;

namespace Alkanet.Vmm.QemuPlugin;

/// <summary>The names QEMU's x86-64 register list (<c>qemu_plugin_get_registers</c>) gives the registers of a
/// <see cref="RegisterSet"/>; the IDTR is not in it (<see cref="RegisterSet.IdtBase"/> has no name).</summary>
internal static class RegisterNames
{
    /// <summary>Every register the plugin can read, in bit order (index = the bit's position).</summary>
    public static readonly (RegisterSet Register, string Name)[] All =
    [
        (RegisterSet.Rax, "rax"), (RegisterSet.Rdx, "rdx"), (RegisterSet.Rsi, "rsi"), (RegisterSet.Rdi, "rdi"),
        (RegisterSet.Rsp, "rsp"), (RegisterSet.R8, "r8"), (RegisterSet.R9, "r9"), (RegisterSet.R10, "r10"),
        (RegisterSet.Cr3, "cr3"), (RegisterSet.GsBase, "gs_base"), (RegisterSet.KernelGsBase, "k_gs_base"),
        (RegisterSet.Cr4, "cr4"),
    ];

    /// <summary>The index of <paramref name="register"/> (one bit) in <see cref="All"/>, or -1.</summary>
    public static int IndexOf(RegisterSet register)
    {
        for (var i = 0; i < All.Length; i++)
            if (All[i].Register == register) return i;
        return -1;
    }

    /// <summary>The names of the readable registers in <paramref name="set"/>.</summary>
    public static IReadOnlyList<string> Of(RegisterSet set) => [.. All.Where(r => (set & r.Register) != 0).Select(r => r.Name)];

    /// <summary>For each name in <paramref name="listed"/> (QEMU's list, in its order), the index in <see cref="All"/>
    /// it fills, or -1 for a register the plugin does not read.</summary>
    public static int[] Match(IReadOnlyList<string> listed)
    {
        var map = new int[listed.Count];
        for (var i = 0; i < listed.Count; i++) map[i] = Array.FindIndex(All, r => r.Name == listed[i]);
        return map;
    }
}
