using Alkanet.Introspection.TestKit;
using Alkanet.Core.Records;
using Alkanet.Introspection.Cpu;
using Alkanet.Introspection.Linux;
using Alkanet.Introspection.Memory;

namespace Alkanet.Introspection.Tests.Linux;

public sealed class LinuxSyscallTracerTests
{
    private const ulong Task1 = SyntheticLinuxGuest.Task1;
    private const ulong Task2 = SyntheticLinuxGuest.Task2;

    private static VcpuState Cpu(ulong nr, int index = 0, ulong regs = SyntheticLinuxGuest.Regs) => SyntheticLinuxGuest.Vcpu(nr, index, regs);

    [Fact]
    public void Openat_ENTER_names_the_path_and_flags_and_the_EXIT_carries_its_number_and_result()
    {
        var g = new SyntheticLinuxGuest();
        g.Task(Task1, 0x61, 0x60, "dropper");
        g.Str(0x400000, "/tmp/payload.sh");
        g.PtRegs(257, unchecked((ulong)-100), 0x400000, 0x241, 0x1a4);
        var tracer = new LinuxSyscallTracer(SyntheticLinuxGuest.Profile());
        var r = new SyscallRecord();
        tracer.OnEnter(false, Cpu(257), g, r).ShouldBeTrue();
        r.Name.ShouldBe("openat");
        r.Pid.ShouldBe(0x60UL);
        r.Tid.ShouldBe(0x61UL);
        r.ProcName.ShouldBe("dropper");
        r.AdditionalInfo["path"].ShouldBe("/tmp/payload.sh");
        r.AdditionalInfo["flags_names"].ShouldBe("O_WRONLY|O_CREAT|O_TRUNC");
        r.AdditionalInfo["mode"].ShouldBe("644");
        r.AdditionalInfo["dirfd"].ShouldBeNull();
        g.Return(unchecked((ulong)-2));
        tracer.OnExit(Cpu(0), g, r).ShouldBeTrue();
        r.LogType.ShouldBe(LogType.Exit);
        r.Name.ShouldBe("openat");
        r.SysNo.ShouldBe(257UL);
        r.RetVal.ShouldBe(0xfffffffffffffffeUL);
        r.AdditionalInfo["unpaired"].ShouldBeNull();
    }

    [Fact]
    public void A_path_unmapped_at_ENTER_is_read_again_at_EXIT()
    {
        var g = new SyntheticLinuxGuest();
        g.Task(Task1, 0x61, 0x60, "x");
        g.PtRegs(87, 0x500000);
        var tracer = new LinuxSyscallTracer(SyntheticLinuxGuest.Profile());
        var r = new SyscallRecord();
        tracer.OnEnter(false, Cpu(87), g, r);
        r.AdditionalInfo["path"].ShouldBe("<unreadable@500000>");
        g.Str(0x500000, "/tmp/.hidden");
        tracer.OnExit(Cpu(0), g, r);
        r.AdditionalInfo["path"].ShouldBe("/tmp/.hidden");
    }

    [Fact]
    public void A_task_returning_on_another_vCPU_pairs_by_task_and_a_fork_child_is_unpaired_fork_child()
    {
        var g = new SyntheticLinuxGuest();
        var tracer = new LinuxSyscallTracer(SyntheticLinuxGuest.Profile());
        var r = new SyscallRecord();
        g.Task(Task1, 0x60, 0x60, "parent");
        g.PtRegs(56, 0x1200011);
        tracer.OnEnter(false, Cpu(56, 0), g, r);
        r.AdditionalInfo["flags_names"].ShouldBe("CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD");
        // the child runs first, on vCPU 1: its first return has no ENTER
        g.Task(Task2, 0x61, 0x61, "parent", Task1);
        g.U32(Task1 + 0x104, 0x60);
        g.CurrentRegs = SyntheticLinuxGuest.Regs2;
        g.PtRegs(56, 0x1200011);
        g.Return(0);
        tracer.OnExit(Cpu(0, 1, SyntheticLinuxGuest.Regs2), g, r);
        r.Name.ShouldBe("clone");
        r.AdditionalInfo["unpaired"].ShouldBe("fork_child");
        r.ParentPid.ShouldBe(0x60UL);
        // the parent returns on vCPU 1
        g.Task(Task1, 0x60, 0x60, "parent");
        g.CurrentRegs = SyntheticLinuxGuest.Regs;
        g.Return(0x61);
        tracer.OnExit(Cpu(0, 1), g, r);
        r.AdditionalInfo["unpaired"].ShouldBeNull();
        r.AdditionalInfo["new_pid"].ShouldBe("61");
    }

    /// <summary>The guest read as if its addresses were physical ones, counting which way the tracer read.</summary>
    private sealed class PinnableGuest(SyntheticLinuxGuest guest, ulong moved = 0) : IPinnableMemory
    {
        public int VirtualReads, PinnedReads;

        public int Read(ulong virtualAddress, Span<byte> destination)
        {
            VirtualReads++;
            return guest.Read(virtualAddress, destination);
        }

        public bool TryPin(ulong virtualAddress, int length, out ulong physicalAddress)
        {
            physicalAddress = virtualAddress + moved; // moved: as if the page were remapped before the EXIT
            return true;
        }

        public bool TryReadPinned(ulong physicalAddress, Span<byte> destination)
        {
            PinnedReads++;
            return guest.Read(physicalAddress, destination) == destination.Length;
        }
    }

    [Fact]
    public void An_EXIT_reads_its_pt_regs_where_the_ENTER_pinned_them_and_an_unpaired_one_reads_them_virtually()
    {
        var g = new SyntheticLinuxGuest();
        g.Task(Task1, 0x61, 0x60, "loop");
        var mem = new PinnableGuest(g);
        var tracer = new LinuxSyscallTracer(SyntheticLinuxGuest.Profile());
        var r = new SyscallRecord();
        g.PtRegs(110);
        tracer.OnEnter(false, Cpu(110), mem, r).ShouldBeTrue();
        g.Return(0x60);
        var before = mem.VirtualReads;
        tracer.OnExit(Cpu(0, 1), mem, r).ShouldBeTrue();
        (mem.VirtualReads - before).ShouldBe(0);
        mem.PinnedReads.ShouldBe(1);
        r.SysNo.ShouldBe(110UL);
        r.AdditionalInfo["unpaired"].ShouldBeNull();
        r.RetVal.ShouldBe(0x60UL);
        r.ProcName.ShouldBe("loop");
        // no ENTER pending (the pin went with the last EXIT): read through the page tables
        g.Return(0x61);
        tracer.OnExit(Cpu(0), mem, r);
        mem.PinnedReads.ShouldBe(1);
        r.AdditionalInfo["unpaired"].ShouldBe("trace_started");
        r.RetVal.ShouldBe(0x61UL);
    }

    [Fact]
    public void A_pin_that_no_longer_shows_the_pending_call_is_read_again_through_the_page_tables()
    {
        var g = new SyntheticLinuxGuest();
        g.Task(Task1, 0x61, 0x60, "loop");
        const ulong elsewhere = 0x100000;
        g.U64(SyntheticLinuxGuest.Regs + elsewhere + 80, 0xdead); // what the pinned frame holds now: another ax ...
        g.U64(SyntheticLinuxGuest.Regs + elsewhere + 120, 59); // ... and another call's orig_ax
        var mem = new PinnableGuest(g, elsewhere);
        var tracer = new LinuxSyscallTracer(SyntheticLinuxGuest.Profile());
        var r = new SyscallRecord();
        g.PtRegs(110);
        tracer.OnEnter(false, Cpu(110), mem, r);
        g.Return(0x60);
        tracer.OnExit(Cpu(0), mem, r);
        mem.PinnedReads.ShouldBe(1);
        r.SysNo.ShouldBe(110UL);
        r.RetVal.ShouldBe(0x60UL);
        r.AdditionalInfo["unpaired"].ShouldBeNull();
    }

    [Fact]
    public void Exit_group_leaves_nothing_pending_so_a_reused_stack_does_not_pair_with_it()
    {
        var g = new SyntheticLinuxGuest();
        var tracer = new LinuxSyscallTracer(SyntheticLinuxGuest.Profile());
        var r = new SyscallRecord();
        g.Task(Task1, 0x60, 0x60, "old");
        g.PtRegs(231, 0);
        tracer.OnEnter(false, Cpu(231), g, r);
        tracer.PendingCount.ShouldBe(0);
        g.Task(Task1, 0x70, 0x70, "new"); // a new task on the same kernel stack: its first hit is its return from fork
        g.PtRegs(56);
        g.Return(0);
        tracer.OnExit(Cpu(0), g, r);
        r.Name.ShouldBe("clone");
        r.ProcName.ShouldBe("new");
        r.AdditionalInfo["unpaired"].ShouldBe("fork_child");
        r.ProcSeq.ShouldBe(2); // "old" was process lifetime 1
        g.Task(Task1, 0x60, 0x60, "reused"); // pid 0x60 again, a new fork child: a new lifetime
        g.Return(0);
        tracer.OnExit(Cpu(0), g, r);
        r.ProcSeq.ShouldBe(3);
        g.PtRegs(39);
        tracer.OnEnter(false, Cpu(39), g, r);
        r.ProcSeq.ShouldBe(3);
    }

    [Fact]
    public void Ptrace_names_the_request_and_the_target()
    {
        var g = new SyntheticLinuxGuest();
        g.Task(Task1, 0x60, 0x60, "injector");
        g.PtRegs(101, 5, 0x61, 0x4a70d0, 0x4242);
        var r = new SyscallRecord();
        new LinuxSyscallTracer(SyntheticLinuxGuest.Profile()).OnEnter(false, Cpu(101), g, r);
        r.AdditionalInfo["request_name"].ShouldBe("PTRACE_POKEDATA");
        r.AdditionalInfo["target_pid"].ShouldBe("61");
        r.AdditionalInfo["addr"].ShouldBe("4a70d0");
        r.AdditionalInfo["data"].ShouldBe("4242");
    }

    [Fact]
    public void Connect_formats_an_IPv4_sockaddr()
    {
        var g = new SyntheticLinuxGuest();
        g.Task(Task1, 0x60, 0x60, "beacon");
        g.Write(0x600000, [2, 0, 0x11, 0x5c, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
        g.PtRegs(42, 3, 0x600000, 16);
        var r = new SyscallRecord();
        new LinuxSyscallTracer(SyntheticLinuxGuest.Profile()).OnEnter(false, Cpu(42), g, r);
        r.AdditionalInfo["family"].ShouldBe("AF_INET");
        r.AdditionalInfo["remote_address"].ShouldBe("127.0.0.1:4444");
        r.AdditionalInfo["fd"].ShouldBe("3");
    }

    [Fact]
    public void Execve_lists_argv_as_a_JSON_array_and_a_command_line()
    {
        var g = new SyntheticLinuxGuest();
        g.Task(Task1, 0x60, 0x60, "sh");
        g.Str(0x700000, "/tmp/payload.sh");
        g.Str(0x700100, "--stage");
        g.Str(0x700200, "2 \"quoted\"");
        g.U64(0x701000, 0x700000); g.U64(0x701008, 0x700100); g.U64(0x701010, 0x700200); g.U64(0x701018, 0);
        g.PtRegs(59, 0x700000, 0x701000, 0);
        var r = new SyscallRecord();
        new LinuxSyscallTracer(SyntheticLinuxGuest.Profile()).OnEnter(false, Cpu(59), g, r);
        r.AdditionalInfo["path"].ShouldBe("/tmp/payload.sh");
        r.AdditionalInfo.TryGet("argv", out var argv).ShouldBeTrue();
        argv.IsJson.ShouldBeTrue();
        argv.Text.ShouldBe("[\"/tmp/payload.sh\",\"--stage\",\"2 \\\"quoted\\\"\"]");
        r.AdditionalInfo["command_line"].ShouldBe("/tmp/payload.sh --stage 2 \"quoted\"");
    }

    /// <summary>A guest with task 1's fd 3 open on a struct file whose private_data is a socket (with its back-pointer)
    /// whose sock has <paramref name="family"/> and the local end 10.13.0.15:<paramref name="port"/>.</summary>
    private static SyntheticLinuxGuest SocketGuest(ushort family, ushort port, bool backPointer = true)
    {
        var g = new SyntheticLinuxGuest();
        g.Task(Task1, 0x61, 0x60, "beacon");
        const ulong files = 0xffff888003000000, fdt = files + 0x1000, fdArray = files + 0x2000, file = files + 0x3000;
        const ulong socket = 0xffff888006000000, sk = socket + 0x1000;
        g.U64(Task1 + 0x128, files); g.U64(files + 0x20, fdt); g.U32(fdt, 64); g.U64(fdt + 8, fdArray); g.U64(fdArray + 3 * 8, file);
        g.U64(file + 0xc8, socket); g.U64(socket + 0x10, backPointer ? file : file + 8); g.U64(socket + 0x18, sk);
        g.Write(sk + 0x10, BitConverter.GetBytes(family)); g.Write(sk + 0x0e, BitConverter.GetBytes(port));
        g.Write(sk + 4, [10, 13, 0, 15]);
        // the sockaddr_in connect names: AF_INET, port 80 (big-endian), 10.13.0.1
        g.Write(0x400000, [2, 0, 0, 80, 10, 13, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
        g.PtRegs(42, 3, 0x400000, 16);
        return g;
    }

    [Fact]
    public void Connect_EXIT_reads_the_sockets_local_port_and_address_through_fd_file_socket_and_sock()
    {
        var g = SocketGuest(2, 41234);
        var tracer = new LinuxSyscallTracer(SyntheticLinuxGuest.Profile());
        var r = new SyscallRecord();
        tracer.OnEnter(false, Cpu(42), g, r);
        r.AdditionalInfo["remote_address"].ShouldBe("10.13.0.1:80");
        r.AdditionalInfo["local_port"].ShouldBeNull(); // the kernel picks the port during the call
        g.Return(unchecked((ulong)-115)); // EINPROGRESS: a non-blocking connect, its port already bound
        tracer.OnExit(Cpu(0), g, r);
        r.Name.ShouldBe("connect");
        r.AdditionalInfo["local_port"].ShouldBe("41234");
        r.AdditionalInfo["local_address"].ShouldBe("10.13.0.15:41234");
    }

    [Theory]
    [InlineData((ushort)2, (ushort)41234, false, unchecked((ulong)-111))] // ECONNREFUSED: no flow to join
    [InlineData((ushort)2, (ushort)41234, true, 0UL)] // private_data is not a socket of this file
    [InlineData((ushort)1, (ushort)41234, false, 0UL)] // AF_UNIX: no port
    [InlineData((ushort)2, (ushort)0, false, 0UL)] // no port bound
    public void Connect_EXIT_gives_no_local_port_when_the_call_failed_or_the_fd_is_not_a_bound_inet_socket(ushort family, ushort port,
        bool foreignFile, ulong ret)
    {
        var g = SocketGuest(family, port, backPointer: !foreignFile);
        var tracer = new LinuxSyscallTracer(SyntheticLinuxGuest.Profile());
        var r = new SyscallRecord();
        tracer.OnEnter(false, Cpu(42), g, r);
        g.Return(ret);
        tracer.OnExit(Cpu(0), g, r);
        r.Name.ShouldBe("connect");
        r.AdditionalInfo["local_port"].ShouldBeNull();
        r.AdditionalInfo["local_address"].ShouldBeNull();
    }

    [Fact]
    public void An_EXIT_of_another_call_reads_no_socket_even_when_its_first_argument_is_a_socket_fd()
    {
        var g = SocketGuest(2, 41234);
        g.PtRegs(3, 3); // close(3)
        var tracer = new LinuxSyscallTracer(SyntheticLinuxGuest.Profile());
        var r = new SyscallRecord();
        tracer.OnEnter(false, Cpu(3), g, r);
        g.Return(0);
        tracer.OnExit(Cpu(0), g, r);
        r.Name.ShouldBe("close");
        r.AdditionalInfo["local_port"].ShouldBeNull();
    }

    [Fact]
    public void Write_resolves_the_fd_to_its_path_through_the_file_table_and_mounts()
    {
        var g = new SyntheticLinuxGuest();
        g.Task(Task1, 0x60, 0x60, "w");
        const ulong files = 0xffff888003000000, fdt = files + 0x1000, fdArray = files + 0x2000, file = files + 0x3000;
        const ulong root = 0xffff888004000000, tmp = root + 0x100, leaf = root + 0x200, mntRoot = root + 0x300;
        const ulong mount = 0xffff888005000000, parentMount = mount + 0x1000;
        g.U64(Task1 + 0x128, files); g.U64(files + 0x20, fdt); g.U32(fdt, 64); g.U64(fdt + 8, fdArray); g.U64(fdArray + 3 * 8, file);
        g.U64(file + 0x10, mount + 0x20); g.U64(file + 0x18, leaf);
        // leaf "payload" under the root of a tmpfs mounted on /tmp of the root mount
        g.U64(leaf + 0x18, mntRoot); g.U32(leaf + 0x24, 7); g.U64(leaf + 0x28, 0x800000); g.Str(0x800000, "payload");
        g.U64(mntRoot + 0x18, mntRoot);
        g.U64(mount + 0x10, parentMount); g.U64(mount + 0x18, tmp);
        g.U64(tmp + 0x18, root); g.U32(tmp + 0x24, 3); g.U64(tmp + 0x28, 0x800100); g.Str(0x800100, "tmp");
        g.U64(root + 0x18, root);
        g.U64(parentMount + 0x10, parentMount);
        g.PtRegs(1, 3, 0x1000, 0x2e);
        var r = new SyscallRecord();
        new LinuxSyscallTracer(SyntheticLinuxGuest.Profile()).OnEnter(false, Cpu(1), g, r);
        r.AdditionalInfo["fd"].ShouldBe("3");
        r.AdditionalInfo["fd_path"].ShouldBe("/tmp/payload");
        r.AdditionalInfo["size"].ShouldBe("2e");
    }

    [Fact]
    public void Without_args_for_every_call_an_undecoded_call_reads_no_guest_memory_for_its_arguments()
    {
        var g = new SyntheticLinuxGuest();
        g.Task(Task1, 0x60, 0x60, "loop");
        var tracer = new LinuxSyscallTracer(SyntheticLinuxGuest.Profile()) { ArgsForEveryCall = false };
        var r = new SyscallRecord();
        g.PtRegs(257, unchecked((ulong)-100), 0x400000, 0, 0);
        g.Str(0x400000, "/etc/passwd");
        tracer.OnEnter(false, Cpu(257), g, r); // decoded: pt_regs read, path decoded
        r.AdditionalInfo["path"].ShouldBe("/etc/passwd");
        r.Args.Length.ShouldBe(6);
        g.Unmap(SyntheticLinuxGuest.Regs); // pt_regs gone: an undecoded call must not need it
        tracer.OnEnter(false, Cpu(110), g, r);
        r.Name.ShouldBe("unknown_6e");
        r.SysNo.ShouldBe(110UL);
        r.Args.ShouldBeEmpty();
        r.AdditionalInfo.Count.ShouldBe(0);
    }

    [Fact]
    public void Hostile_memory_and_registers_never_throw() =>
        SyntheticLinuxGuest.HostileRounds(20261122, ia32: false, [0, 1, 3, 42, 56, 59, 87, 101, 157, 231, 257, 9999],
            rng => rng.Next(3) switch { 0 => 0x400000 + (ulong)rng.Next(8192), 1 => (ulong)rng.NextInt64(), _ => (ulong)rng.Next(64) });
}
