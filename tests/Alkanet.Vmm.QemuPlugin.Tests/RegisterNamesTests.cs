using Alkanet.Introspection.Hooks;
using Alkanet.Introspection.Symbols;
using Alkanet.Introspection.Windows;
using Alkanet.Vmm.QemuPlugin;

namespace Alkanet.Vmm.QemuPlugin.Tests;

/// <summary>Which of QEMU's registers the plugin reads for what an OS asks.</summary>
public sealed class RegisterNamesTests
{
    // QEMU 10's x86-64 list begins like this (then segment bases, control registers, MSRs, x87, SSE...).
    private static readonly string[] QemuList =
        ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip",
         "eflags", "cs", "ss", "ds", "es", "fs", "gs", "fs_base", "gs_base", "k_gs_base", "cr0", "cr2", "cr3", "cr4", "cr8", "efer"];

    [Fact]
    public void Every_readable_register_has_one_bit_and_one_name()
    {
        RegisterNames.All.Select(r => r.Name).ShouldBeUnique();
        RegisterNames.All.Select(r => r.Register).ShouldBeUnique();
        foreach (var (register, _) in RegisterNames.All)
            System.Numerics.BitOperations.PopCount((uint)register).ShouldBe(1);
        RegisterNames.IndexOf(RegisterSet.IdtBase).ShouldBe(-1); // not in QEMU's list: the gdbstub reads it from the monitor
        RegisterNames.IndexOf(RegisterSet.Cr3).ShouldBe(8);
    }

    [Fact]
    public void Qemus_list_is_matched_by_name_whatever_its_order()
    {
        var map = RegisterNames.Match(QemuList);
        map.Count(i => i >= 0).ShouldBe(RegisterNames.All.Length);
        for (var i = 0; i < QemuList.Length; i++)
            if (map[i] >= 0) RegisterNames.All[map[i]].Name.ShouldBe(QemuList[i]);
        map[Array.IndexOf(QemuList, "rbx")].ShouldBe(-1);
        RegisterNames.Match(["zmm0", "k_gs_base"]).ShouldBe([-1, RegisterNames.IndexOf(RegisterSet.KernelGsBase)]);
    }

    [Fact]
    public void Windows_reads_six_registers_at_enter_and_one_at_exit_plus_the_per_vcpu_pair()
    {
        var os = new WindowsOs(new ProfileStore(Path.Combine(Path.GetTempPath(), "alkanet-no-such-profiles")));
        RegisterNames.Of(os.RegistersAt(SiteKind.Enter)).ShouldBe(["rax", "rdx", "rsp", "r8", "r9", "r10", "gs_base", "k_gs_base"]);
        RegisterNames.Of(os.RegistersAt(SiteKind.Exit)).ShouldBe(["rax", "gs_base", "k_gs_base"]);
        (os.RegistersAt(SiteKind.Exit) & RegisterSet.PerVcpu).ShouldBe(RegisterSet.PerVcpu); // read once per vCPU
        RegisterNames.Of(os.DiscoveryRegisters).ShouldBe(["cr3", "gs_base", "k_gs_base"]);
    }
}
