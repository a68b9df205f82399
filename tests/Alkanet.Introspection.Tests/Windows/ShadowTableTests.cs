using Alkanet.Introspection.Symbols;
using Alkanet.Introspection.TestKit;
using Alkanet.Introspection.Tests.Symbols;
using Alkanet.Introspection.Windows;

namespace Alkanet.Introspection.Tests.Windows;

/// <summary>Issue 15 item 0, win32k: shadow-table calls (numbers from 0x1000) are named from the guest's own
/// W32pServiceTable (through KeServiceDescriptorTableShadow[1]) when win32k's ISF is in the profile store; otherwise
/// from the static table, and the discovery says which and why. The kit's <see cref="SyntheticWin32k"/> lays out the module
/// and its ISF from one table (no public win32k ISF ships with the project).</summary>
public sealed class ShadowTableTests : IDisposable
{
    private readonly string _profiles = Directory.CreateTempSubdirectory("alkanet-w32k-").FullName;

    public void Dispose() => Directory.Delete(_profiles, true);

    private static readonly Syscalls.SyscallTable Static1909 = WindowsSyscallTables.Instance.ByRelease("1909", "win32k")!;

    /// <summary>1909's win32k numbering with a call inserted at 0x1010: every later call one higher, as an update would.</summary>
    private static Syscalls.SyscallTable Updated => ServiceTableLayouts.Inserted(Static1909, "NtUserAlkanetInserted", 0x1010);

    private (SyntheticWindowsGuest Guest, Cpu.VcpuState State, SyntheticProcess Process) Guest(SyntheticWin32k? w32k, bool isf = true,
        bool filled = true)
    {
        var g = KernelDiscoveryTests.NewGuest();
        var p = g.AddProcess(0x21f4, "gui.exe", 0x1000, null, null);
        var t = p.AddThread(0x21f8);
        if (w32k is not null)
        {
            w32k.Install(g, fillDescriptor: filled);
            if (isf) File.WriteAllBytes(Path.Combine(_profiles, w32k.IsfFileName), w32k.IsfJson());
        }
        return (g, g.EnterState(t, 0x1011), p);
    }

    [Fact]
    public void Win32k_calls_are_named_by_the_guests_shadow_table_when_win32ks_isf_is_known()
    {
        var w32k = new SyntheticWin32k(Updated);
        var (g, s, p) = Guest(w32k);
        var k = WindowsKernel.Discover(s, g.Physical, new ProfileStore(_profiles));
        k.Ok.ShouldBeTrue(k.Error);
        var table = k.Win32kSyscalls!.Table;
        table.Release.ShouldBe(KernelServiceTable.ShadowRelease);
        table.Kind.ShouldBe("win32k");
        table.Count.ShouldBe(Updated.Count);
        table.NameOf(0x1010).ShouldBe("NtUserAlkanetInserted");
        table.NameOf(0x1011).ShouldBe(Static1909.NameOf(0x1010)); // shifted: the static table would name 0x1011 otherwise
        Static1909.NameOf(0x1011).ShouldNotBe(table.NameOf(0x1011));
        table.NameOf(0x100F).ShouldBe(Static1909.NameOf(0x100F));
        var shifted = Static1909.Calls().Max(c => c.Number) - 0x1010 + 2; // every call from 0x1010 on, and the new last one
        k.Win32kSyscallSource.ShouldBe($"the running kernel's W32pServiceTable ({Updated.Count} services named by win32k's symbol table; " +
            $"it differs from the static {Static1909.Release} table in {shifted} numbers)");
        k.Warnings.ShouldBeEmpty();

        var record = new Core.Records.SyscallRecord();
        new WindowsSyscallDecoder(k).Decode(s, g.MemoryOf(p), Hooks.SiteKind.Enter, record).ShouldBeTrue();
        record.SysNo.ShouldBe(0x1011UL);
        record.Name.ShouldBe(Static1909.NameOf(0x1010));
    }

    [Fact]
    public void Without_win32ks_isf_the_static_table_names_the_calls_and_the_discovery_says_which_pdb_is_missing()
    {
        var w32k = new SyntheticWin32k(Updated);
        var (g, s, _) = Guest(w32k, isf: false);
        var k = WindowsKernel.Discover(s, g.Physical, new ProfileStore(_profiles));
        k.Ok.ShouldBeTrue(k.Error);
        k.Win32kSyscalls!.Table.ShouldBeSameAs(Static1909);
        k.Win32kSyscallSource.ShouldBe($"the static {Static1909.Release} table (fallback: no symbol table for win32k.pdb {w32k.Guid}-1 " +
            "(import its ISF with 'alkanet profile import FILE'))");
        k.Syscalls!.Table.Release.ShouldBe(KernelServiceTable.Release); // nt is read from the kernel all the same
    }

    [Fact]
    public void Before_win32k_is_loaded_the_empty_shadow_descriptor_is_a_reason_not_an_error()
    {
        var (g, s, _) = Guest(new SyntheticWin32k(Updated), filled: false);
        var k = WindowsKernel.Discover(s, g.Physical, new ProfileStore(_profiles));
        k.Ok.ShouldBeTrue(k.Error);
        k.Win32kSyscalls!.Table.ShouldBeSameAs(Static1909);
        k.Win32kSyscallSource.ShouldContain("KeServiceDescriptorTableShadow[1] at 0x");
        k.Win32kSyscallSource.ShouldContain("is empty (win32k not loaded yet)");
    }

    [Fact]
    public void Hostile_shadow_descriptors_fall_back_without_throwing()
    {
        var rng = new Random(15);
        for (var i = 0; i < 50; i++)
        {
            var (g, s, _) = Guest(new SyntheticWin32k(Updated), isf: i % 2 == 0);
            var shadow = g.Symbol("KeServiceDescriptorTableShadow") + 0x20;
            var noise = new byte[24];
            rng.NextBytes(noise);
            if (i % 3 == 0) BitConverter.GetBytes(g.KernelBase + 0x4000_0000 + (ulong)rng.Next(0, 0x20_0000)).CopyTo(noise, 0); // inside win32k
            g.System.Write(shadow, noise);
            var k = WindowsKernel.Discover(s, g.Physical, new ProfileStore(_profiles));
            k.Ok.ShouldBeTrue(k.Error);
            k.Win32kSyscallSource.ShouldNotBeNullOrEmpty();
        }
    }
}
