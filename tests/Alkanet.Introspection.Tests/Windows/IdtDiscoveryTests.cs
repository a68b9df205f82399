using Alkanet.Introspection.Cpu;
using Alkanet.Introspection.TestKit;
using Alkanet.Introspection.Windows;

namespace Alkanet.Introspection.Tests.Windows;

/// <summary>Discovery without MSR LSTAR (the gdbstub hook): the IDT's vector 0 finds the kernel and tells KVA shadow.</summary>
public class IdtDiscoveryTests
{
    private static WindowsKernelInfo DiscoverFromIdt(SyntheticWindowsGuest g, ulong handler, out VcpuState state)
    {
        var p = g.AddProcess(0x21f4, "7d317343ffac1b", 0x1000, null, null);
        state = g.EnterState(p.AddThread(0x21f8), 0x55);
        var idt = g.PoolAlloc(4096, 4096);
        g.System.Write(idt, [(byte)handler, (byte)(handler >> 8), 0x10, 0, 0, 0x8E, (byte)(handler >> 16), (byte)(handler >> 24)]);
        g.System.WriteU32(idt + 8, (uint)(handler >> 32));
        state.Known = (state.Known & ~KnownRegisters.Lstar) | KnownRegisters.IdtBase;
        state.Lstar = 0;
        state.IdtBase = idt;
        return WindowsKernel.Discover(state, g.Physical, KernelDiscoveryTests.Store);
    }

    [Theory]
    [InlineData(false, "KiDivideErrorFault", "KiSystemCall64", "KiSystemCall64")]
    [InlineData(true, "KiDivideErrorFaultShadow", "KiSystemCall64Shadow", "KiSystemServiceUser")]
    public void The_vector_0_handler_tells_kva_shadow(bool kva, string handler, string lstar, string enter)
    {
        var g = KernelDiscoveryTests.NewGuest(new SyntheticGuestOptions { KvaShadow = kva });
        var k = DiscoverFromIdt(g, g.Symbol(handler), out _);
        k.Ok.ShouldBeTrue(k.Error);
        k.HookSites!.KvaShadow.ShouldBe(kva);
        k.HookSites.Lstar.ShouldBe(g.Symbol(lstar)); // inferred, not read
        k.HookSites.Enter.ShouldBe(g.Symbol(enter));
        k.Warnings.ShouldNotContain(w => w.Contains("hooked"));
        k.Warnings.ShouldNotContain(w => w.Contains("KiKvaShadow"));
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    public void A_hooked_vector_0_falls_back_to_the_kernel_s_kva_shadow_flag(byte flag, bool kva)
    {
        var g = KernelDiscoveryTests.NewGuest(new SyntheticGuestOptions { KvaShadow = kva });
        g.System.WriteU8(g.Symbol("KiKvaShadow"), flag);
        var k = DiscoverFromIdt(g, g.KernelBase + 0x1F_0000, out _);
        k.Ok.ShouldBeTrue(k.Error);
        k.HookSites!.KvaShadow.ShouldBe(kva);
        k.Warnings.ShouldContain(w => w.Contains("KiKvaShadow") && w.Contains(kva ? "on" : "off"));
    }
}
