using Alkanet.Introspection.Cpu;
using Alkanet.Introspection.Memory;
using Alkanet.Introspection.Symbols;
using Alkanet.Introspection.TestKit;
using Alkanet.Introspection.Tests.Symbols;
using Alkanet.Introspection.Windows;

namespace Alkanet.Introspection.Tests.Windows;

public class KernelDiscoveryTests
{
    internal static readonly ProfileStore Store = new(Path.Combine(Path.GetTempPath(), "alkanet-no-such-profiles"));

    internal static SyntheticWindowsGuest NewGuest(SyntheticGuestOptions? o = null) => new(IsfFileTests.Nt1909.Value, o);

    private static (SyntheticWindowsGuest, VcpuState) GuestAndState(SyntheticGuestOptions? o = null)
    {
        var g = NewGuest(o);
        var p = g.AddProcess(0x21f4, "7d317343ffac1b", 0x1000, null, null);
        var t = p.AddThread(0x21f8);
        return (g, g.EnterState(t, 0x55));
    }

    [Fact]
    public void From_lstar_it_finds_the_kernel_its_pdb_the_hook_sites_and_the_exact_table()
    {
        var (g, s) = GuestAndState();
        var k = WindowsKernel.Discover(s, g.Physical, Store);
        k.Ok.ShouldBeTrue(k.Error);
        k.KernelBase.ShouldBe(g.KernelBase);
        k.CodeView!.Guid.ShouldBe("E0093F3AEF15D58168B753C9488A4043");
        k.CodeView.PdbName.ShouldBe("ntkrnlmp.pdb");
        k.HookSites!.KvaShadow.ShouldBeFalse();
        k.HookSites.Enter.ShouldBe(g.Symbol("KiSystemCall64"));
        k.HookSites.Exit.ShouldBe(g.ExpectedReturnSite);
        k.HookSites.ExitIsReturnSite.ShouldBeTrue();
        k.HookSites.KeServiceDescriptorTable.ShouldBe(g.Symbol("KeServiceDescriptorTable"));
        k.Build.ShouldBe(18363);
        k.BuildSource.ShouldBe("KUSER_SHARED_DATA.NtBuildNumber");
        k.FileVersion.ShouldBe(new Version(10, 0, 18362, 418));
        k.Syscalls!.Exact.ShouldBeTrue();
        k.Syscalls.Table.Release.ShouldBe(KernelServiceTable.Release);
        k.Syscalls.Table.Count.ShouldBe(464);
        k.SyscallSource.ShouldContain("differs from the static Windows 10 (1909) table in 0 numbers");
        k.ServiceCount.ShouldBe(464u);
        k.Warnings.ShouldBeEmpty();
    }

    [Fact]
    public void With_a_static_table_a_kernel_whose_service_count_differs_from_it_is_flagged()
    {
        var (g, s) = GuestAndState(new SyntheticGuestOptions { ServiceLimit = 470, ServiceDescriptor = false });
        var k = WindowsKernel.Discover(s, g.Physical, Store);
        k.Ok.ShouldBeTrue(k.Error);
        k.Warnings.ShouldContain(w => w.Contains("470 system services"));
    }

    [Fact]
    public void With_kva_shadow_enter_is_hooked_after_the_cr3_switch()
    {
        var (g, s) = GuestAndState(new SyntheticGuestOptions { KvaShadow = true });
        var k = WindowsKernel.Discover(s, g.Physical, Store);
        k.Ok.ShouldBeTrue(k.Error);
        k.HookSites!.KvaShadow.ShouldBeTrue();
        k.HookSites.Lstar.ShouldBe(g.Symbol("KiSystemCall64Shadow"));
        k.HookSites.Enter.ShouldBe(g.Symbol("KiSystemServiceUser"));
    }

    [Fact]
    public void A_user_cr3_that_does_not_map_the_kernel_is_a_clear_failure()
    {
        var (g, s) = GuestAndState(new SyntheticGuestOptions { KvaShadow = true });
        var userOnly = new PageTableBuilder(g.Physical);
        userOnly.MapNew(0x10000, 4096);
        s.Cr3 = userOnly.Cr3();
        var k = WindowsKernel.Discover(s, g.Physical, Store);
        k.Ok.ShouldBeFalse();
        k.Error!.ShouldContain("no PE image header");
        k.Error!.ShouldContain("KVA shadow");
    }

    [Fact]
    public void Five_level_paging_and_the_idt_fallback_work()
    {
        var (g, s) = GuestAndState(new SyntheticGuestOptions { Paging = PagingMode.FiveLevel, KernelBase = 0xFF7F_F804_5A00_0000UL });
        // No LSTAR: an IDT whose vector 0 points into the kernel image.
        var idt = g.PoolAlloc(4096, 4096);
        var handler = g.KernelBase + 0x1F_0000;
        g.System.Write(idt, [(byte)handler, (byte)(handler >> 8), 0x10, 0, 0, 0x8E, (byte)(handler >> 16), (byte)(handler >> 24)]);
        g.System.WriteU32(idt + 8, (uint)(handler >> 32));
        s.Known = KnownRegisters.General | KnownRegisters.Control | KnownRegisters.IdtBase;
        s.Lstar = 0;
        s.IdtBase = idt;
        var k = WindowsKernel.Discover(s, g.Physical, Store);
        k.Ok.ShouldBeTrue(k.Error);
        k.KernelBase.ShouldBe(g.KernelBase);
        k.Warnings.ShouldContain(w => w.Contains("IDT"));
    }

    [Fact]
    public void An_unknown_kernel_names_its_pdb_and_how_to_add_it()
    {
        var (g, s) = GuestAndState(new SyntheticGuestOptions { PdbGuid = "0123456789ABCDEF0123456789ABCDEF", PdbAge = 3 });
        var k = WindowsKernel.Discover(s, g.Physical, Store);
        k.Ok.ShouldBeFalse();
        k.Error!.ShouldContain("0123456789ABCDEF0123456789ABCDEF-3");
        k.Error!.ShouldContain("alkanet profile import");
    }

    [Fact]
    public void Without_kuser_shared_data_the_build_comes_from_the_file_version_and_is_flagged_as_a_guess()
    {
        var (g, s) = GuestAndState(new SyntheticGuestOptions { NtBuildNumber = null, ServiceDescriptor = false });
        var k = WindowsKernel.Discover(s, g.Physical, Store);
        k.Ok.ShouldBeTrue(k.Error);
        k.Build.ShouldBe(18362);
        k.BuildSource.ShouldContain("file version");
        k.Warnings.ShouldContain(w => w.Contains("file version"));
        k.Syscalls!.Table.Release.ShouldBe("Windows 10 (1903)");
    }

    [Fact]
    public void Names_follow_the_running_kernels_service_table_not_the_releases()
    {
        // A 1909-family update that inserts NtCopyFileChunk at 163 (as 19041's later updates do): the static table
        // would name every call from 163 on after its neighbour.
        var release = WindowsSyscallTables.Instance.ByRelease("1909")!;
        var updated = ServiceTableLayouts.Inserted(release, "NtCopyFileChunk", 163);
        var dir = Directory.CreateTempSubdirectory("alkanet-isf-").FullName;
        File.WriteAllBytes(Path.Combine(dir, "ntkrnlmp.pdb_E0093F3AEF15D58168B753C9488A4043-1.json"),
            ServiceTableLayouts.WithRoutine(IsfFileTests.Nt1909.Value, "NtCopyFileChunk"));
        var store = new ProfileStore(dir, includeEmbedded: false);
        var isf = store.FindByPdb("E0093F3AEF15D58168B753C9488A4043", 1)!;
        var g = new SyntheticWindowsGuest(isf, new SyntheticGuestOptions { ServiceTable = updated });
        var p = g.AddProcess(0x21f4, "sample.exe", 0x1000, null, null);
        var t = p.AddThread(0x21f8);
        var shifted = release.NameOf(163)!;
        var s = g.EnterState(t, 164, 0, 0, 0, 0, 0);
        var k = WindowsKernel.Discover(s, g.Physical, store);
        k.Ok.ShouldBeTrue(k.Error);
        k.Syscalls!.Table.Release.ShouldBe(KernelServiceTable.Release);
        k.Syscalls.Table.NameOf(163).ShouldBe("NtCopyFileChunk");
        k.Syscalls.Table.NameOf(164).ShouldBe(shifted);
        k.Syscalls.Table.NameOf(464).ShouldBe(release.NameOf(463));
        k.Syscalls.Table.NameOf(162).ShouldBe(release.NameOf(162));
        k.SyscallSource.ShouldContain("the running kernel's KiServiceTable (465 services");
        k.SyscallSource.ShouldContain($"differs from the static Windows 10 (1909) table in {465 - 163} numbers");
        k.Warnings.ShouldBeEmpty();

        var record = new Core.Records.SyscallRecord();
        new WindowsSyscallDecoder(k).Decode(s, g.MemoryOf(p), Hooks.SiteKind.Enter, record).ShouldBeTrue();
        record.Name.ShouldBe(shifted);
        record.SysNo.ShouldBe(164UL);
    }

    [Fact]
    public void An_unreadable_service_descriptor_falls_back_to_the_static_table_and_says_so()
    {
        var (g, s) = GuestAndState(new SyntheticGuestOptions { ServiceDescriptor = false });
        var k = WindowsKernel.Discover(s, g.Physical, Store);
        k.Ok.ShouldBeTrue(k.Error);
        k.Syscalls!.Table.Release.ShouldBe("Windows 10 (1909)");
        k.SyscallSource.ShouldStartWith("the static Windows 10 (1909) table (fallback: KeServiceDescriptorTable at 0x");
        k.Warnings.ShouldContain(w => w.StartsWith("system-call names from a static table: ", StringComparison.Ordinal) && w.Contains("outside ntoskrnl"));
    }
}
