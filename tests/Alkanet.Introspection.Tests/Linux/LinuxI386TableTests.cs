using Alkanet.Introspection.Linux;

namespace Alkanet.Introspection.Tests.Linux;

/// <summary>data/linux/syscall_32.tbl: parsing, the x86-64 entry point of each call, and the check against a
/// kernel's __ia32_* symbols.</summary>
public sealed class LinuxI386TableTests
{
    private static LinuxI386Table Parse(string text) => LinuxI386Table.Parse(new StringReader(text), "t.tbl");

    private static Kallsyms Symbols(params string[] names) =>
        Kallsyms.Parse(new StringReader(string.Concat(names.Select((n, i) => $"{0xffffffff81000000UL + (ulong)i * 16:x16} T {n}\n"))));

    [Fact]
    public void The_embedded_table_names_the_i386_numbers()
    {
        var t = LinuxI386Table.Embedded.ToTable();
        t.Name(1).ShouldBe("exit");
        t.Name(2).ShouldBe("fork");
        t.Name(5).ShouldBe("open");
        t.Name(8).ShouldBe("creat");
        t.Name(11).ShouldBe("execve");
        t.Name(15).ShouldBe("chmod");
        t.Name(90).ShouldBe("mmap"); // old_mmap
        t.Name(102).ShouldBe("socketcall");
        t.Name(192).ShouldBe("mmap2");
        t.Name(252).ShouldBe("exit_group");
        t.Name(348).ShouldBe("process_vm_writev");
        t.Name(450).ShouldBe("set_mempolicy_home_node");
        t.Count.ShouldBe(451);
        t.Name(17).ShouldBeNull("break has no entry point");
        t.Name(166).ShouldBeNull("vm86's x86-64 (compat) entry is sys_ni_syscall");
        t.Name(223).ShouldBeNull("unused");
        t.Number("connect").ShouldBe(362);
    }

    [Fact]
    public void The_compat_entry_point_is_the_one_an_x86_64_kernel_runs()
    {
        var e = LinuxI386Table.Embedded.Entries;
        e.Single(x => x.Number == 5).EntryPoint.ShouldBe("compat_sys_open");
        e.Single(x => x.Number == 4).EntryPoint.ShouldBe("sys_write");
        e.Single(x => x.Number == 90).EntryPoint.ShouldBe("compat_sys_ia32_mmap");
    }

    [Fact]
    public void A_call_whose_entry_point_the_kernel_lacks_is_reported_and_left_unnamed()
    {
        var t = Parse("# comment\n3 i386 read sys_read\n4\ti386\twrite\t\tsys_write\n5 i386 open sys_open compat_sys_open\n17 i386 break\n");
        var warnings = new List<string>();
        var table = LinuxProfileBuilder.Syscalls32FromSource(Symbols("__ia32_sys_read", "__ia32_sys_open", "__ia32_compat_sys_open_x"), warnings.Add, t);
        table.Name(3).ShouldBe("read");
        table.Name(4).ShouldBeNull();
        table.Name(5).ShouldBeNull("the compat entry is the one that runs, and it is absent");
        warnings.Count.ShouldBe(2);
        warnings[0].ShouldContain("i386 call 4 'write'");
        warnings[0].ShouldContain("__ia32_sys_write");
        warnings[1].ShouldContain("__ia32_compat_sys_open");
    }

    [Theory]
    [InlineData("5 i386\n", "t.tbl:1")]
    [InlineData("x i386 open sys_open\n", "t.tbl:1")]
    [InlineData("# c\n5 common open sys_open\n", "t.tbl:2: ABI 'common'")]
    [InlineData("5 i386 open sys_open\n5 i386 open2 sys_open\n", "t.tbl:2: call number 5 appears twice")]
    [InlineData("99999 i386 big sys_big\n", "t.tbl:1")]
    [InlineData("5 i386 a b c d\n", "t.tbl:1")]
    [InlineData("# nothing\n", "t.tbl: no call")]
    public void A_malformed_table_fails_naming_file_and_line(string text, string expected)
    {
        var e = Should.Throw<InvalidDataException>(() => Parse(text));
        e.Message.ShouldContain(expected);
    }
}
