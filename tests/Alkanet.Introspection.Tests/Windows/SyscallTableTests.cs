using Alkanet.Introspection.Syscalls;
using Alkanet.Introspection.Windows;

namespace Alkanet.Introspection.Tests.Windows;

public class SyscallTableTests
{
    private static readonly WindowsSyscallTables Tables = WindowsSyscallTables.Instance;

    [Fact]
    public void NtCreateFile_is_0x55_on_every_x64_release_from_1507_to_11_25H2()
    {
        var releases = Tables.Tables.Where(t => t.Kind == "nt" && t.Build >= 10240).ToList();
        releases.Count.ShouldBe(22);
        foreach (var t in releases) t.TryGetNumber("NtCreateFile", out var n).ShouldBeTrue(t.Release);
        releases.ShouldAllBe(t => t.NameOf(0x55) == "NtCreateFile");
    }

    [Fact]
    public void NtCreateThreadEx_is_0xBD_on_1909_and_0xC1_on_2004()
    {
        Tables.Choose(18363)!.Table.NameOf(0xBD).ShouldBe("NtCreateThreadEx");
        Tables.Choose(19041)!.Table.NameOf(0xC1).ShouldBe("NtCreateThreadEx");
        Tables.ByRelease("1909")!.Build.ShouldBe(18363);
    }

    [Fact]
    public void The_choice_says_when_it_is_a_guess()
    {
        var exact = Tables.Choose(18363)!;
        exact.Exact.ShouldBeTrue();
        exact.Table.Release.ShouldBe("Windows 10 (1909)");
        var guess = Tables.Choose(18400)!;
        guess.Exact.ShouldBeFalse();
        guess.Table.Build.ShouldBe(18363);
        guess.Note!.ShouldContain("guessing");
        Tables.Choose(26100)!.Table.Build.ShouldBe(26100); // 11 24H2 and Server 2025 share a build
        Tables.Choose(18363, "win32k")!.Table.Kind.ShouldBe("win32k");
    }

    [Fact]
    public void Sources_are_pluggable_by_os()
    {
        SyscallTableSources.ForOs("windows").ShouldBeSameAs(WindowsSyscallTables.Instance);
        SyscallTableSources.ForOs("plan9").ShouldBeNull();
    }

    [Fact]
    public void A_malformed_table_names_its_line()
    {
        var ex = Should.Throw<InvalidDataException>(() => new WindowsSyscallTables(new StringReader("A\t1\tnt\tNtX=1\nbad line\n"), "t.tsv").Tables);
        ex.Message.ShouldContain("t.tsv:2");
    }
}
