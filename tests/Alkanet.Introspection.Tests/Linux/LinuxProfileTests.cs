using Alkanet.Introspection.TestKit;
using Alkanet.Introspection.Hooks;
using Alkanet.Introspection.Linux;

namespace Alkanet.Introspection.Tests.Linux;

/// <summary>The profile derived from Debian's own kernel (cached by scripts/setup.d/40-qemu.sh and `alkanet guest build`).</summary>
public sealed class LinuxProfileTests
{
    private static (ElfImage Vmlinux, Kallsyms Symbols) Kernel()
    {
        var dir = Path.Combine(Environment.GetEnvironmentVariable("ALKANET_CACHE") ?? Path.Combine(Root(), ".cache"), "linux-guest");
        var vmlinux = Path.Combine(dir, "vmlinux");
        var kallsyms = Path.Combine(dir, "kallsyms.txt");
        if (!File.Exists(vmlinux) || !File.Exists(kallsyms))
        {
            const string why = "the analysis guest is not built (run scripts/setup.sh, then `alkanet guest build`)";
            if (Environment.GetEnvironmentVariable("CI") == "true") Assert.Fail(why);
            Assert.Skip(why);
        }
        return (ElfImage.Load(vmlinux), Kallsyms.Load(kallsyms));
    }

    private static string Root()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Alkanet.slnx"))) return d.FullName;
        return Environment.CurrentDirectory;
    }

    [Fact]
    public void The_profile_comes_from_BTF_kallsyms_and_the_kernels_own_call_table()
    {
        var (vmlinux, symbols) = Kernel();
        var p = LinuxProfileBuilder.Build(vmlinux, symbols, "test");
        // BTF facts that hold on any x86-64 kernel: pt_regs layout is ABI, tgid follows pid.
        p.Offset("pt_regs.orig_ax").ShouldBe(120);
        p.Offset("pt_regs.di").ShouldBe(112);
        p.Offset("task_struct.tgid").ShouldBe(p.Offset("task_struct.pid") + 4);
        p.Sizes["pt_regs"].ShouldBe(168);
        p.Offset("task_struct.comm").ShouldBeGreaterThan(p.Offset("task_struct.tgid"));
        // struct sock_common opens with the address pair (daddr, rcv_saddr), the hash, then the port pair (dport, num), then
        // the family (include/net/sock.h): the local end the tracer reads at connect's EXIT; sock embeds it first.
        p.Offset("sock_common.skc_rcv_saddr").ShouldBe(4);
        p.Offset("sock_common.skc_num").ShouldBe(14);
        p.Offset("sock_common.skc_family").ShouldBe(16);
        p.Offset("sock.__sk_common").ShouldBe(0);
        // The call table is x86-64's: numbers are ABI.
        p.Syscalls64.Name(0).ShouldBe("read");
        p.Syscalls64.Name(59).ShouldBe("execve");
        p.Syscalls64.Name(101).ShouldBe("ptrace");
        p.Syscalls64.Name(257).ShouldBe("openat");
        p.Syscalls64.Name(435).ShouldBe("clone3");
        p.Syscalls64.Number("process_vm_writev").ShouldBe(311);
        p.Syscalls64.NameOrUnknown(5000).ShouldBe("unknown_1388");
        LinuxProfileBuilder.IsComplete(p).ShouldBeTrue();
        p.Site(SiteKind.Enter).LinkAddress.ShouldBe(symbols.Get("x64_sys_call"));
        p.CurrentTaskPercpu.ShouldBe(symbols.Get("current_task"));
    }

    [Fact]
    public void The_i386_table_comes_from_syscall_32_tbl_and_every_entry_point_is_in_Debians_kernel()
    {
        var (vmlinux, symbols) = Kernel();
        symbols.TryGet("ia32_sys_call_table", out _).ShouldBeFalse("6.1 with the branch-history fix dispatches int 0x80 by a switch");
        var warnings = new List<string>();
        var p = LinuxProfileBuilder.Build(vmlinux, symbols, "test", warnings.Add);
        warnings.ShouldBeEmpty();
        p.Syscalls32.Name(5).ShouldBe("open");
        p.Syscalls32.Name(102).ShouldBe("socketcall");
        p.Syscalls32.Name(192).ShouldBe("mmap2");
        p.Syscalls32.Entries().Count().ShouldBeGreaterThan(400);
        // TS_COMPAT lives in thread_info.status, the first member of task_struct on x86
        p.Offset("task_struct.thread_info").ShouldBe(0);
        p.Offset("thread_info.status").ShouldBeGreaterThan(0);
    }

    [Fact]
    public void The_shipped_x86_64_table_names_calls_without_a_guest()
    {
        var t = LinuxSyscallTable.X86_64;
        t.Name(0).ShouldBe("read");
        t.Name(59).ShouldBe("execve");
        t.Number("ptrace").ShouldBe(101);
        t.Entries().Count().ShouldBeGreaterThan(300);
        Should.Throw<InvalidDataException>(() => LinuxSyscallTable.Parse(new StringReader("1 write\nbad line here\n"), "t.txt")).Message.ShouldContain("t.txt:2");
    }

    [Fact]
    public void A_profile_survives_save_and_load()
    {
        var (vmlinux, symbols) = Kernel();
        var p = LinuxProfileBuilder.Build(vmlinux, symbols, "test");
        var path = Path.GetTempFileName();
        try
        {
            p.Save(path);
            var q = LinuxProfile.Load(path);
            q.Offsets.OrderBy(kv => kv.Key).ShouldBe(p.Offsets.OrderBy(kv => kv.Key));
            q.Syscalls64.Entries().ShouldBe(p.Syscalls64.Entries());
            q.Syscalls32.Entries().ShouldBe(p.Syscalls32.Entries());
            q.Site(SiteKind.Exit).Fingerprint.ShouldBe(p.Site(SiteKind.Exit).Fingerprint);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void The_slide_finder_accepts_the_site_at_an_aligned_slide_and_rejects_anything_else()
    {
        var p = SyntheticLinuxGuest.Profile();
        var site = p.Site(SiteKind.Enter);
        byte[] code = [0x0f, 0x1f, 0x44, 0x00, 0x00, .. site.Fingerprint];
        KaslrSlideFinder.TryMatch(site, site.LinkAddress + 0x1ac00000, code, out var slide).ShouldBeTrue();
        slide.ShouldBe(0x1ac00000UL);
        KaslrSlideFinder.TryMatch(site, site.LinkAddress + 0x1000, code, out _).ShouldBeFalse("not 2 MiB aligned");
        KaslrSlideFinder.TryMatch(site, site.LinkAddress + 0x80000000, code, out _).ShouldBeFalse("beyond 1 GiB");
        code[^1] ^= 0xFF;
        KaslrSlideFinder.TryMatch(site, site.LinkAddress, code, out _).ShouldBeFalse("other bytes");
    }

    [Fact]
    public void The_slide_scan_finds_the_site_in_kernel_memory()
    {
        var p = SyntheticLinuxGuest.Profile();
        var site = p.Site(SiteKind.Exit);
        var g = new SyntheticLinuxGuest();
        g.Write(site.LinkAddress + 0x2400000, [0x0f, 0x1f, 0x44, 0x00, 0x00, .. site.Fingerprint]);
        g.Write(site.LinkAddress + 0x200000, [0x0f, 0x1f, 0x44, 0x00, 0x00, 0xde, 0xad]); // mapped, other code
        KaslrSlideFinder.Scan(site, g).ShouldBe(0x2400000UL);
        KaslrSlideFinder.Scan(p.Site(SiteKind.Enter), g).ShouldBeNull();
    }

    [Fact]
    public void Malformed_BTF_and_ELF_name_the_offset()
    {
        Should.Throw<InvalidDataException>(() => BtfTypes.Parse(new byte[10])).Message.ShouldContain("byte offset 0");
        Should.Throw<InvalidDataException>(() => BtfTypes.Parse(new byte[] { 0x9f, 0xeb, 1, 0, 24, 0, 0, 0, 0, 0, 0, 0, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }))
            .Message.ShouldContain("byte offset");
        Should.Throw<InvalidDataException>(() => ElfImage.FromBytes(new byte[100], "x.elf")).Message.ShouldContain("x.elf: byte offset 0");
    }

    [Fact]
    public void Kallsyms_text_is_parsed_skipping_console_noise_and_module_symbols()
    {
        var k = Kallsyms.Parse(new StringReader(
            "ALKANET-READY mode=kallsyms\n000000000001fb80 A current_task\nffffffff81003320 T x64_sys_call\r\n" +
            "ffffffff810324b0 t __do_sys_rt_sigreturn\nffffffff810324b0 T __x64_sys_rt_sigreturn\nffffffffc0000000 t helper\t[mod]\n"));
        k.Get("current_task").ShouldBe(0x1fb80UL);
        k.Get("x64_sys_call").ShouldBe(0xffffffff81003320UL);
        k.FunctionsAt(0xffffffff810324b0).ShouldBe(["__do_sys_rt_sigreturn", "__x64_sys_rt_sigreturn"]);
        k.TryGet("helper", out _).ShouldBeFalse();
    }
}
