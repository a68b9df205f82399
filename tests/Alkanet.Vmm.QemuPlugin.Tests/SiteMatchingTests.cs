using Alkanet.Introspection.Hooks;
using Alkanet.Introspection.Linux;
using Alkanet.Introspection.TestKit;
using Alkanet.Vmm.QemuPlugin;

namespace Alkanet.Vmm.QemuPlugin.Tests;

/// <summary>Translation-time site matching as the plugin drives it: the Linux OS recognises a site by its code at any
/// KASLR slide, then the site table finds each site instruction by address.</summary>
public sealed class SiteMatchingTests
{
    private const ulong Slide = 0x1a00000;
    private static readonly byte[] Nop5 = [0x0f, 0x1f, 0x44, 0x00, 0x00];

    private static LinuxOs Os(string args = "all", bool cr3 = false) =>
        new(SyntheticLinuxGuest.Profile(), "synthetic", readCr3: cr3, argsForEveryCall: args == "all");

    private static byte[] CodeOf(LinuxLinkSite site) => [.. Nop5, .. site.Fingerprint, 0xcc, 0xcc];

    [Fact]
    public void A_site_is_recognised_by_its_code_at_a_slid_address_and_every_site_follows()
    {
        var os = Os();
        var profile = SyntheticLinuxGuest.Profile();
        var exit = profile.Site(SiteKind.Exit);
        os.CouldBeSite(exit.LinkAddress + Slide).ShouldBeTrue();
        os.CouldBeSite(exit.LinkAddress + Slide + 0x1000).ShouldBeFalse(); // not 2 MiB aligned for any site
        var found = os.FindInCode(exit.LinkAddress + Slide, CodeOf(exit));
        found.Found.ShouldBeTrue(found.Error);
        found.Slide.ShouldBe(Slide);
        os.Found.ShouldBe(found);
        os.Tracer.Slide.ShouldBe(Slide);
        var table = new SiteTable(found.Sites);
        table.Count.ShouldBe(profile.Sites.Count);
        foreach (var site in profile.Sites)
        {
            var i = table.IndexOf(site.LinkAddress + Slide);
            i.ShouldBeGreaterThanOrEqualTo(0);
            table[i].Kind.ShouldBe(site.Kind);
            table[i].Name.ShouldBe(site.Symbol);
        }
        table.IndexOf(exit.LinkAddress).ShouldBe(-1);
    }

    [Fact]
    public void Other_code_at_a_candidate_address_is_not_a_site()
    {
        var os = Os();
        var enter = SyntheticLinuxGuest.Profile().Site(SiteKind.Enter);
        var code = CodeOf(enter);
        code[7] ^= 0xff;
        os.FindInCode(enter.LinkAddress + Slide, code).Found.ShouldBeFalse();
        os.FindInCode(enter.LinkAddress + Slide, code.AsSpan(0, 8)).Found.ShouldBeFalse(); // too few bytes to tell
        os.Found.ShouldBeNull();
        SiteTable.Empty.IndexOf(enter.LinkAddress).ShouldBe(-1);
    }

    [Theory]
    [InlineData("all", false, SiteKind.Enter, new[] { "rdi", "gs_base" })]
    [InlineData("decoded", false, SiteKind.Enter, new[] { "rsi", "rdi", "gs_base" })]
    [InlineData("decoded", false, SiteKind.Enter32, new[] { "rsi", "rdi", "gs_base" })]
    [InlineData("decoded", false, SiteKind.Exit, new[] { "rdi", "gs_base" })]
    [InlineData("all", true, SiteKind.Exit, new[] { "rdi", "cr3", "gs_base" })]
    public void Linux_reads_pt_regs_and_the_per_cpu_base_and_the_number_only_when_pt_regs_is_skipped(
        string args, bool cr3, SiteKind kind, string[] names) =>
        RegisterNames.Of(Os(args, cr3).RegistersAt(kind)).ShouldBe(names);

    [Fact]
    public void The_registry_builds_each_os_from_the_plugins_settings()
    {
        var dir = Directory.CreateTempSubdirectory("alkanet-plugin-").FullName;
        try
        {
            var profile = Path.Combine(dir, "profile.txt");
            SyntheticLinuxGuest.Profile().Save(profile);
            var args = PluginArguments.Parse([$"profile={profile}", "ring=r", "args=decoded", "cr3=on"], out var error)!;
            var os = GuestOsRegistry.Find(args.Os, out error)!(args.Settings);
            os.ShouldBeOfType<LinuxOs>().Tracer.ArgsForEveryCall.ShouldBeFalse();
            os.SiteCodeLength.ShouldBeGreaterThan(0); // found at translation time, no discovery callback
            (os.RegistersAt(SiteKind.Exit) & RegisterSet.Cr3).ShouldBe(RegisterSet.Cr3);
            GuestOsRegistry.Find("plan9", out error).ShouldBeNull();
            error.ShouldContain("known: linux, windows");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
