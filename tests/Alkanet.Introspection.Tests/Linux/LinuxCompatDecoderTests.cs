using Alkanet.Introspection.TestKit;
using Alkanet.Core.Records;
using Alkanet.Introspection.Linux;
using static Alkanet.Introspection.TestKit.SyntheticLinuxGuest;

namespace Alkanet.Introspection.Tests.Linux;

/// <summary>32-bit calls (int 0x80, ENTER at ia32_sys_call) against synthetic memory: i386 registers, 32-bit pointers
/// and compat layouts, the abi=ia32 marker on ENTER and EXIT.</summary>
public sealed class LinuxCompatDecoderTests
{
    private static (SyntheticLinuxGuest G, LinuxSyscallTracer T, SyscallRecord R) Setup()
    {
        var g = new SyntheticLinuxGuest();
        g.Task(Task1, 0x70, 0x70, "int80");
        return (g, new LinuxSyscallTracer(SyntheticLinuxGuest.Profile()), new SyscallRecord());
    }

    private static SyscallRecord Enter(ulong nr, params ulong[] args)
    {
        var (g, t, r) = Setup();
        g.PtRegs32(nr, args);
        t.OnEnter(true, Vcpu(nr), g, r).ShouldBeTrue();
        return r;
    }

    [Fact]
    public void Open_is_named_from_the_i386_table_decoded_from_ebx_ecx_edx_and_its_EXIT_pairs()
    {
        var (g, t, r) = Setup();
        g.Str(0x4c6010, "/tmp/i386-payload.sh");
        g.PtRegs32(5, 0x4c6010, 0x241, 0x1a4);
        t.OnEnter(true, Vcpu(5), g, r);
        r.Name.ShouldBe("open");
        r.SysNo.ShouldBe(5UL);
        r.AdditionalInfo["abi"].ShouldBe("ia32");
        r.AdditionalInfo["path"].ShouldBe("/tmp/i386-payload.sh");
        r.AdditionalInfo["flags_names"].ShouldBe("O_WRONLY|O_CREAT|O_TRUNC");
        r.AdditionalInfo["mode"].ShouldBe("644");
        r.Args.ToArray().ShouldBe(new ulong[] { 0x4c6010, 0x241, 0x1a4, 0, 0, 0 });
        g.Return(3);
        t.OnExit(Vcpu(0), g, r);
        r.Name.ShouldBe("open");
        r.SysNo.ShouldBe(5UL);
        r.AdditionalInfo["abi"].ShouldBe("ia32");
        r.AdditionalInfo["out_handle"].ShouldBe("3");
        r.AdditionalInfo["unpaired"].ShouldBeNull();
    }

    [Fact]
    public void Only_the_low_32_bits_of_each_register_count()
    {
        var (g, t, r) = Setup();
        g.Str(0x4c6010, "/etc/x");
        g.PtRegs32(15, 0xdead0000004c6010, 0xffffffff000001ed);
        t.OnEnter(true, Vcpu(15), g, r);
        r.Name.ShouldBe("chmod");
        r.AdditionalInfo["path"].ShouldBe("/etc/x");
        r.AdditionalInfo["mode"].ShouldBe("755");
    }

    [Fact]
    public void Socketcall_connect_reads_its_u32_argument_array_and_is_named_after_the_sub_call()
    {
        var (g, t, r) = Setup();
        g.U32(0x4c7000, 3); g.U32(0x4c7004, 0x4c7100); g.U32(0x4c7008, 16);
        g.Write(0x4c7100, [2, 0, 0x11, 0x5d, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
        g.PtRegs32(102, 3, 0x4c7000);
        t.OnEnter(true, Vcpu(102), g, r);
        r.Name.ShouldBe("connect");
        r.SysNo.ShouldBe(102UL);
        r.AdditionalInfo["via"].ShouldBe("socketcall");
        r.AdditionalInfo["abi"].ShouldBe("ia32");
        r.AdditionalInfo["fd"].ShouldBe("3");
        r.AdditionalInfo["remote_address"].ShouldBe("127.0.0.1:4445");
        g.Return(0);
        t.OnExit(Vcpu(0), g, r);
        r.Name.ShouldBe("connect");
    }

    [Fact]
    public void Socketcall_socket_EXIT_gives_the_new_fd_and_an_unknown_sub_call_stays_socketcall()
    {
        var (g, t, r) = Setup();
        g.U32(0x4c7000, 2); g.U32(0x4c7004, 1); g.U32(0x4c7008, 0);
        g.PtRegs32(102, 1, 0x4c7000);
        t.OnEnter(true, Vcpu(102), g, r);
        r.Name.ShouldBe("socket");
        r.AdditionalInfo["family"].ShouldBe("AF_INET");
        g.Return(4);
        t.OnExit(Vcpu(0), g, r);
        r.Name.ShouldBe("socket");
        r.AdditionalInfo["out_handle"].ShouldBe("4");
        var bad = Enter(102, 77, 0x4c7000);
        bad.Name.ShouldBe("socketcall");
        bad.AdditionalInfo["socketcall"].ShouldBe("4d");
        var unread = Enter(102, 3, 0x9000000);
        unread.Name.ShouldBe("connect");
        unread.AdditionalInfo["args"].ShouldBe("<unreadable@9000000>");
    }

    [Fact]
    public void Old_mmap_reads_its_argument_struct_and_mmap2_sign_extends_its_fd()
    {
        var (g, t, r) = Setup();
        uint[] s = [0, 0x2000, 3, 0x22, 0xffffffff, 0];
        for (var i = 0; i < 6; i++) g.U32(0x4c8000 + (ulong)i * 4, s[i]);
        g.PtRegs32(90, 0x4c8000);
        t.OnEnter(true, Vcpu(90), g, r);
        r.Name.ShouldBe("mmap");
        r.AdditionalInfo["size"].ShouldBe("2000");
        r.AdditionalInfo["prot_names"].ShouldBe("PROT_READ|PROT_WRITE");
        r.AdditionalInfo["flags_names"]!.ShouldContain("MAP_ANONYMOUS");
        r.AdditionalInfo["fd"].ShouldBeNull();
        var m2 = Enter(192, 0, 0x3000, 7, 0x02, 0xffffffff, 0);
        m2.Name.ShouldBe("mmap2");
        m2.AdditionalInfo["prot_names"].ShouldBe("PROT_READ|PROT_WRITE|PROT_EXEC");
        m2.AdditionalInfo["fd"].ShouldBeNull("fd -1 (a 32-bit -1) names no file");
        m2.Args[4].ShouldBe(0xffffffffUL, "args stay the raw registers");
        Enter(90, 0x9000000).AdditionalInfo["args"].ShouldBe("<unreadable@9000000>");
    }

    [Fact]
    public void Execve_reads_an_argv_array_of_32_bit_pointers()
    {
        var (g, t, r) = Setup();
        g.Str(0x4c6010, "/tmp/i386-payload.sh"); g.Str(0x4c6030, "--stage"); g.Str(0x4c6040, "2");
        g.U32(0x4c9000, 0x4c6010); g.U32(0x4c9004, 0x4c6030); g.U32(0x4c9008, 0x4c6040); g.U32(0x4c900c, 0);
        g.U32(0x4c9010, 0x4c6030); // would be read as part of a 64-bit pointer if the width were wrong
        g.PtRegs32(11, 0x4c6010, 0x4c9000, 0);
        t.OnEnter(true, Vcpu(11), g, r);
        r.Name.ShouldBe("execve");
        r.AdditionalInfo["path"].ShouldBe("/tmp/i386-payload.sh");
        r.AdditionalInfo["command_line"].ShouldBe("/tmp/i386-payload.sh --stage 2");
        r.AdditionalInfo["argv"].ShouldBe("[\"/tmp/i386-payload.sh\",\"--stage\",\"2\"]");
        // execveat(dirfd, path, argv, envp, flags): the same u32 argv, with the dirfd and flags
        var (_, t2, r2) = Setup();
        g.PtRegs32(358, 5, 0x4c6010, 0x4c9000, 0, 0x1000);
        t2.OnEnter(true, Vcpu(358), g, r2);
        r2.Name.ShouldBe("execveat");
        r2.AdditionalInfo["dirfd"].ShouldBe("5");
        r2.AdditionalInfo["flags"].ShouldBe("1000");
        r2.AdditionalInfo["command_line"].ShouldBe("/tmp/i386-payload.sh --stage 2");
    }

    [Fact]
    public void Process_vm_writev_sums_compat_iovecs_and_sleeps_read_old_timespec32()
    {
        var r = Enter(348, 0x99, 0x4c6000, 1, 0x4ca000, 2, 0);
        r.Name.ShouldBe("process_vm_writev");
        r.AdditionalInfo["base_address"].ShouldBe("<unreadable@4ca000>");
        var (g2, t2, r2) = Setup();
        g2.U32(0x4ca000, 0x601000); g2.U32(0x4ca004, 8); g2.U32(0x4ca008, 0x602000); g2.U32(0x4ca00c, 0x10);
        g2.PtRegs32(348, 0x99, 0x4c6000, 1, 0x4ca000, 2, 0);
        t2.OnEnter(true, Vcpu(348), g2, r2);
        r2.AdditionalInfo["target_pid"].ShouldBe("99");
        r2.AdditionalInfo["base_address"].ShouldBe("601000");
        r2.AdditionalInfo["size"].ShouldBe("18");
        var (g3, t3, r3) = Setup();
        g3.U32(0x4cb000, 2); g3.U32(0x4cb004, 500);
        g3.PtRegs32(162, 0x4cb000, 0);
        t3.OnEnter(true, Vcpu(162), g3, r3);
        r3.Name.ShouldBe("nanosleep");
        r3.AdditionalInfo["seconds"].ShouldBe("2");
        r3.AdditionalInfo["nanoseconds"].ShouldBe("500");
    }

    [Fact]
    public void Sixteen_bit_uid_calls_widen_minus_one_and_the_32_suffixed_ones_decode_like_setuid()
    {
        var r = Enter(164, 0xffff, 0, 0xffff); // setresuid16(-1, 0, -1)
        r.Name.ShouldBe("setresuid");
        r.AdditionalInfo["ruid"].ShouldBe("ffffffff");
        r.AdditionalInfo["uid"].ShouldBe("0");
        r.AdditionalInfo["suid"].ShouldBe("ffffffff");
        var r32 = Enter(213, 0x10000);
        r32.Name.ShouldBe("setuid32");
        r32.AdditionalInfo["uid"].ShouldBe("10000");
    }

    [Fact]
    public void A_fork_childs_first_return_from_an_i386_fork_is_named_by_TS_COMPAT()
    {
        var (g, t, r) = Setup();
        g.PtRegs32(2);
        t.OnEnter(true, Vcpu(2), g, r);
        r.Name.ShouldBe("fork");
        // the child (TS_COMPAT copied from the parent) returns first on vCPU 1: 2 would be open in the 64-bit table
        g.Task(Task2, 0x71, 0x71, "int80", Task1);
        g.U32(Task2 + 0x18, 0x2);
        g.CurrentRegs = SyntheticLinuxGuest.Regs2;
        g.PtRegs32(2);
        g.Return(0);
        t.OnExit(Vcpu(0, 1, SyntheticLinuxGuest.Regs2), g, r);
        r.Name.ShouldBe("fork");
        r.AdditionalInfo["unpaired"].ShouldBe("fork_child");
        r.AdditionalInfo["abi"].ShouldBe("ia32");
        // the parent's return pairs with its ENTER and carries the child
        g.Task(Task1, 0x70, 0x70, "int80");
        g.CurrentRegs = SyntheticLinuxGuest.Regs;
        g.Return(0x71);
        t.OnExit(Vcpu(0), g, r);
        r.Name.ShouldBe("fork");
        r.AdditionalInfo["new_pid"].ShouldBe("71");
        r.AdditionalInfo["abi"].ShouldBe("ia32");
        // without TS_COMPAT the same number is the 64-bit table's
        g.U32(Task2 + 0x18, 0);
        g.Task(Task2, 0x71, 0x71, "int80", Task1);
        g.CurrentRegs = SyntheticLinuxGuest.Regs2;
        g.PtRegs(2);
        g.Return(0);
        t.OnExit(Vcpu(0, 1, SyntheticLinuxGuest.Regs2), g, r);
        r.AdditionalInfo["abi"].ShouldBeNull();
    }

    [Fact]
    public void Hostile_memory_and_registers_never_throw_in_the_compat_readers() =>
        HostileRounds(20261123, ia32: true, [2, 3, 4, 5, 8, 11, 15, 23, 26, 37, 90, 102, 120, 162, 164, 172, 192, 213, 252, 267, 295, 348, 358, 407, 435, 9999],
            rng => rng.Next(4) switch
            {
                0 => 0x400000 + (ulong)rng.Next(8192), 1 => (ulong)rng.NextInt64(), 2 => (ulong)rng.Next(1, 21), _ => (ulong)rng.Next(64),
            });
}
