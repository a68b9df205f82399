using Alkanet.Introspection.Symbols;
using Alkanet.Introspection.TestKit.Boot;
using Alkanet.Introspection.Windows;

namespace Alkanet.SyntheticBoot.Tests;

/// <summary>Issue 15 item 6, before booting: the bootable guest lays itself out with any build's kernel ISF and
/// call table, and discovery finds that build's kernel, its build number and names from its KiServiceTable.</summary>
public class EveryBuildLayoutTests
{
    [Theory]
    [InlineData(17763)]
    [InlineData(18363)]
    [InlineData(19041)]
    [InlineData(22000)]
    public void The_guest_of_each_build_is_discovered_with_its_own_table(int build)
    {
        var profile = BuildProfile.Of(build);
        var isf = profile.LoadIsf();
        var d = SyntheticWindowsBootDisk.Build(isf, SyntheticBootOptions.For(profile));
        var dir = Directory.CreateTempSubdirectory("alkanet-builds-").FullName;
        File.Copy(profile.IsfPath, Path.Combine(dir, Path.GetFileName(profile.IsfPath)));
        var store = new ProfileStore(dir, includeEmbedded: false);
        var s = d.Guest.EnterState(d.SampleThread, 0);
        var k = WindowsKernel.Discover(s, d.Guest.Physical, store);
        k.Ok.ShouldBeTrue(k.Error);
        k.CodeView!.Guid.ShouldBe(isf.Pdb!.Guid);
        k.Build.ShouldBe(build);
        k.Syscalls!.Table.Release.ShouldBe(KernelServiceTable.Release);
        foreach (var call in d.ExpectedCalls) k.Syscalls.Table.NameOf((ulong)call.Number).ShouldBe(call.Name);
        // A call the ISF has no routine for (22000.318's lacks NtCopyFileChunk) leads nowhere nameable: it alone differs.
        var absent = profile.Table.Calls().Count(c => !isf.TryGetSymbol(c.Name, out _));
        k.SyscallSource.ShouldContain($"differs from the static {profile.Table.Release} table in {absent} numbers");
        Directory.Delete(dir, true);
    }
}
