using Alkanet.Introspection.TestKit;
using Alkanet.Core.Records;
using Alkanet.Introspection.Linux;

namespace Alkanet.Introspection.Tests.Linux;

/// <summary>Every spec of <see cref="LinuxCallSpecs"/> decoded from synthetic guest memory: the exact
/// <c>additional_info</c> it writes (keys in order, as the log shows them), and the unreadable value with its
/// address for each pointer that leads nowhere.</summary>
public sealed class LinuxCallSpecTests
{
    private const ulong AtFdCwd = unchecked((ulong)-100);
    private const ulong P1 = 0x400000, P2 = 0x400100, Argv = 0x401000, Struct = 0x402000, Iov = 0x403000, Sock = 0x404000;
    private const ulong Unmapped = 0x7000_0000;
    private const ulong Task = SyntheticLinuxGuest.Task1;

    /// <summary>A guest whose task has fd 3 open on /tmp/payload, strings at P1 ("/p1") and P2 ("/p2"), an argv,
    /// open_how/clone_args at Struct, two iovecs (8 + 0x20 bytes) at Iov and a sockaddr_in at Sock.</summary>
    private static SyntheticLinuxGuest Guest(bool compat = false)
    {
        var g = new SyntheticLinuxGuest();
        g.Task(Task, 0x60, 0x60, "t");
        OpenFd(g, 3, "payload");
        g.Str(P1, "/p1");
        g.Str(P2, "/p2");
        if (compat) { g.U32(Argv, (uint)P1); g.U32(Argv + 4, (uint)P2); g.U32(Argv + 8, 0); }
        else { g.U64(Argv, P1); g.U64(Argv + 8, P2); g.U64(Argv + 16, 0); }
        g.U64(Struct, 0x241); // open_how.flags = clone_args.flags (offset 0 in the synthetic profile)
        g.U64(Struct + 8, 0x1ed); // open_how.mode
        if (compat) { g.U32(Iov, 0x500000); g.U32(Iov + 4, 8); g.U32(Iov + 8, 0x500100); g.U32(Iov + 12, 0x20); }
        else { g.U64(Iov, 0x500000); g.U64(Iov + 8, 8); g.U64(Iov + 16, 0x500100); g.U64(Iov + 24, 0x20); }
        g.Write(Sock, [2, 0, 0x11, 0x5c, 10, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0]);
        g.U64(Struct + 0x100, 3); // a timespec: 3 s ...
        g.U64(Struct + 0x108, 500); // ... and 500 ns
        return g;
    }

    /// <summary>Opens <paramref name="fd"/> on /tmp/<paramref name="name"/> (a file under a dentry chain of one mount).</summary>
    internal static void OpenFd(SyntheticLinuxGuest g, int fd, string name)
    {
        const ulong files = 0xffff888003000000, fdt = files + 0x1000, fdArray = files + 0x2000, file = files + 0x3000;
        const ulong root = 0xffff888004000000, tmp = root + 0x100, leaf = root + 0x200;
        g.U64(Task + 0x128, files); g.U64(files + 0x20, fdt); g.U32(fdt, 64); g.U64(fdt + 8, fdArray);
        g.U64(fdArray + (ulong)fd * 8, file);
        g.U64(file + 0x10, 0); g.U64(file + 0x18, leaf);
        g.U64(leaf + 0x18, tmp); g.U32(leaf + 0x24, (uint)name.Length); g.U64(leaf + 0x28, 0x800000); g.Str(0x800000, name);
        g.U64(tmp + 0x18, root); g.U32(tmp + 0x24, 3); g.U64(tmp + 0x28, 0x800100); g.Str(0x800100, "tmp");
        g.U64(root + 0x18, root);
    }

    private static readonly LinuxProfile Profile = SyntheticLinuxGuest.Profile();

    private static AdditionalInfo Decode(string name, ulong[] args, SyntheticLinuxGuest? g = null, bool compat = false)
    {
        var decoder = new LinuxSyscallDecoder(new LinuxTaskReader(Profile), Profile);
        var info = new AdditionalInfo();
        decoder.DecodeEnter(name, args, g ?? Guest(compat), Task, info, compat);
        return info;
    }

    private static string Fields(AdditionalInfo info) => string.Join(" ", info.Select(kv => $"{kv.Key}={kv.Value}"));

    /// <summary>Each decoded call, its arguments, and every field its ENTER writes.</summary>
    public static TheoryData<string, ulong[], string> Cases => new()
    {
        { "open", [P1, 0x241, 0x1a4], "path=/p1 flags=241 flags_names=O_WRONLY|O_CREAT|O_TRUNC mode=644" },
        { "creat", [P1, 0x1ed], "path=/p1 mode=755" },
        { "openat", [AtFdCwd, P1, 0, 0x1a4], "path=/p1 flags=0 flags_names=O_RDONLY" },
        { "openat2", [5, P1, Struct, 24], "dirfd=5 path=/p1 flags=241 flags_names=O_WRONLY|O_CREAT|O_TRUNC mode=755" },
        { "read", [3, 0x1000, 0x2e], "fd=3 fd_path=/tmp/payload size=2e" },
        { "write", [3, 0x1000, 0x2e], "fd=3 fd_path=/tmp/payload size=2e" },
        { "pread64", [3, 0x1000, 0x10, 0], "fd=3 fd_path=/tmp/payload size=10" },
        { "pwrite64", [3, 0x1000, 0x10, 0x200], "fd=3 fd_path=/tmp/payload size=10" },
        { "writev", [3, Iov, 2], "fd=3 fd_path=/tmp/payload iov_count=2 size=28" },
        { "pwritev", [3, Iov, 2, 0x200, 0], "fd=3 fd_path=/tmp/payload iov_count=2 size=28" },
        { "pwritev2", [3, Iov, 2, 0x200, 0, 4], "fd=3 fd_path=/tmp/payload iov_count=2 size=28 flags=4" },
        { "sendfile", [3, 4, 0, 0x1000], "fd=3 fd_path=/tmp/payload size=1000" },
        { "copy_file_range", [4, 0, 3, 0, 0x800, 0], "fd=3 fd_path=/tmp/payload size=800" },
        { "splice", [4, 0, 3, 0, 0x10, 0], "fd=3 fd_path=/tmp/payload size=10" },
        { "close", [3], "fd=3 fd_path=/tmp/payload" },
        { "dup", [3], "fd=3" },
        { "dup2", [3, 9], "fd=3 new_fd=9" },
        { "dup3", [3, 9, 0x80000], "fd=3 new_fd=9" },
        { "fcntl", [3, 0, 10], "fd=3 cmd=0" },
        { "lseek", [3, 0x400000, 0], "fd=3 whence=0" },
        { "link", [P1, P2], "old_path=/p1 new_path=/p2" },
        { "linkat", [4, P1, AtFdCwd, P2, 0x400], "dirfd=4 old_path=/p1 new_path=/p2 flags=400" },
        { "fsync", [3], "fd=3 fd_path=/tmp/payload" },
        { "fchdir", [9], "fd=9" },
        { "fchmod", [3, 0x1c0], "fd=3 fd_path=/tmp/payload mode=700" },
        { "unlink", [P1], "path=/p1" },
        { "rmdir", [P1], "path=/p1" },
        { "chdir", [P1], "path=/p1" },
        { "chroot", [P1], "path=/p1" },
        { "unlinkat", [AtFdCwd, P1, 0x200], "path=/p1 flags=200" },
        { "rename", [P1, P2], "old_path=/p1 new_path=/p2" },
        { "renameat", [4, P1, AtFdCwd, P2], "dirfd=4 old_path=/p1 new_path=/p2" },
        { "renameat2", [AtFdCwd, P1, AtFdCwd, P2, 1], "old_path=/p1 new_path=/p2 flags=1" },
        { "mkdir", [P1, 0x1ed], "path=/p1 mode=755" },
        { "chmod", [P1, 0x9ed], "path=/p1 mode=4755" },
        { "mkdirat", [AtFdCwd, P1, 0x1c0], "path=/p1 mode=700" },
        { "fchmodat", [6, P1, 0x1ff], "dirfd=6 path=/p1 mode=777" },
        { "utimensat", [AtFdCwd, P1, Struct, 0], "times=" + Struct.ToString("x") + " path=/p1" },
        { "utimensat", [5, 0, 0, 0], "dirfd=5 times=0" },
        { "execve", [P1, Argv, 0], "path=/p1 argv=[\"/p1\",\"/p2\"] command_line=/p1 /p2" },
        { "execveat", [AtFdCwd, P1, Argv, 0, 0x1000], "flags=1000 path=/p1 argv=[\"/p1\",\"/p2\"] command_line=/p1 /p2" },
        { "clone", [0x1200011], "flags=1200011 flags_names=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD" },
        { "clone3", [Struct, 88], "flags=241 flags_names=CLONE_FS|SIG65" },
        { "fork", [], "" },
        { "vfork", [], "" },
        { "exit", [unchecked((ulong)-1)], "status=-1" },
        { "exit_group", [2], "status=2" },
        { "kill", [0x1234, 9], "target_pid=1234 signal=9 signal_name=SIGKILL" },
        { "tkill", [0x1235, 15], "target_tid=1235 signal=f signal_name=SIGTERM" },
        { "tgkill", [0x1234, 0x1235, 19], "target_pid=1234 target_tid=1235 signal=13 signal_name=SIGSTOP" },
        { "ptrace", [16, 0x99, 0, 0], "request=10 request_name=PTRACE_ATTACH target_pid=99 addr=0 data=0" },
        { "process_vm_readv", [0x99, 0x1000, 1, Iov, 2, 0], "target_pid=99 base_address=500000 size=28" },
        { "process_vm_writev", [0x99, 0x1000, 1, Iov, 1, 0], "target_pid=99 base_address=500000 size=8" },
        { "prctl", [15, P1, 0, 0, 0], "option=f option_name=PR_SET_NAME name=/p1" },
        { "memfd_create", [P1, 1], "name=/p1 flags=1 flags_names=MFD_CLOEXEC" },
        { "init_module", [0x7f0000, 0x3000, P1], "base_address=7f0000 module_size=3000 module_args=/p1" },
        { "finit_module", [3, P1, 2], "fd=3 fd_path=/tmp/payload flags=2 module_args=/p1" },
        {
            "mmap", [0, 0x2000, 5, 2, 3, 0],
            "base_address=0 size=2000 prot=5 prot_names=PROT_READ|PROT_EXEC flags=2 flags_names=MAP_PRIVATE fd=3 fd_path=/tmp/payload"
        },
        { "mprotect", [0x7f0000, 0x1000, 7], "base_address=7f0000 size=1000 prot=7 prot_names=PROT_READ|PROT_WRITE|PROT_EXEC" },
        { "socket", [2, 1, 6], "family=AF_INET type=1 protocol=6" },
        { "connect", [3, Sock, 16], "fd=3 fd_path=/tmp/payload family=AF_INET remote_address=10.0.0.7:4444" },
        { "bind", [3, Sock, 16], "fd=3 fd_path=/tmp/payload family=AF_INET local_address=10.0.0.7:4444" },
        { "sendto", [3, 0x1000, 0x40, 0, Sock, 16], "fd=3 fd_path=/tmp/payload size=40 family=AF_INET remote_address=10.0.0.7:4444" },
        { "setuid", [0], "uid=0" },
        { "setgid", [0x3e8], "uid=3e8" },
        { "setfsuid", [0], "uid=0" },
        { "setfsgid", [5], "uid=5" },
        { "setreuid", [0x3e8, 0], "uid=0 ruid=3e8" },
        { "setregid", [0x3e8, 0], "uid=0 ruid=3e8" },
        { "setresuid", [1, 2, 3], "uid=2 ruid=1 suid=3" },
        { "setresgid", [1, 2, 3], "uid=2 ruid=1 suid=3" },
        { "nanosleep", [Struct + 0x100, 0], "seconds=3 nanoseconds=500" },
        { "clock_nanosleep", [1, 0, Struct + 0x100, 0], "seconds=3 nanoseconds=500" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_call_decodes_its_named_arguments_from_guest_memory(string name, ulong[] args, string expected) =>
        Fields(Decode(name, args)).ShouldBe(expected);

    [Fact]
    public void The_cases_cover_every_decoded_call_and_every_decoded_call_has_a_spec()
    {
        var covered = Cases.Select(row => (string)row.Data.Item1).ToHashSet();
        covered.ShouldBe(LinuxDecodedCalls.Arguments.Keys, ignoreOrder: true);
        LinuxCallSpecs.All.Keys.ShouldBe(LinuxDecodedCalls.Arguments.Keys, ignoreOrder: true);
        foreach (var spec in LinuxCallSpecs.All.Values) spec.Arguments.ShouldBeSameAs(LinuxDecodedCalls.Arguments[spec.Name]);
    }

    [Fact]
    public void PR_SET_PTRACER_names_the_pid_allowed_to_trace_and_other_prctl_options_read_no_string() =>
        Fields(Decode("prctl", [0x59616d61, 0x77, 0, 0, 0])).ShouldBe("option=59616d61 option_name=PR_SET_PTRACER target_pid=77");

    [Fact]
    public void An_anonymous_mapping_ignores_its_fd() =>
        Fields(Decode("mmap", [0, 0x1000, 3, 0x22, unchecked((ulong)-1), 0]))
            .ShouldBe("base_address=0 size=1000 prot=3 prot_names=PROT_READ|PROT_WRITE flags=22 flags_names=MAP_PRIVATE|MAP_ANONYMOUS");

    [Fact]
    public void Writev_sums_a_real_iovec_array_and_names_the_file_of_its_fd()
    {
        var g = Guest();
        OpenFd(g, 4, "exfil.log");
        // three struct iovec {void *iov_base; size_t iov_len} on a page boundary: the array spans two pages
        const ulong vec = 0x405ff0;
        ulong[] lens = [0x11, 0x200, 0x3];
        for (var i = 0; i < lens.Length; i++) { g.U64(vec + (ulong)i * 16, 0x600000 + (ulong)i * 0x1000); g.U64(vec + (ulong)i * 16 + 8, lens[i]); }
        var info = Decode("writev", [4, vec, 3], g);
        info["fd"].ShouldBe("4");
        info["fd_path"].ShouldBe("/tmp/exfil.log");
        info["iov_count"].ShouldBe("3");
        info["size"].ShouldBe("214");
        // the second page of the array unmapped: only the readable whole entries count
        g.Unmap(0x406000);
        Decode("writev", [4, vec, 3], g)["size"].ShouldBe("11");
    }

    [Fact]
    public void A_32_bit_writev_reads_struct_compat_iovec() =>
        Fields(Decode("writev", [3, Iov, 2], Guest(compat: true), compat: true)).ShouldBe("fd=3 fd_path=/tmp/payload iov_count=2 size=28");

    [Fact]
    public void A_32_bit_exec_reads_4_byte_argv_pointers() =>
        Decode("execve", [P1, Argv, 0], Guest(compat: true), compat: true)["command_line"].ShouldBe("/p1 /p2");

    /// <summary>Calls with a pointer argument, which slot it is in, and which key then holds the unreadable value.</summary>
    public static TheoryData<string, int, string> PointerSlots => new()
    {
        { "open", 0, "path" }, { "creat", 0, "path" }, { "openat", 1, "path" }, { "openat2", 1, "path" }, { "unlink", 0, "path" },
        { "rmdir", 0, "path" }, { "chdir", 0, "path" }, { "chroot", 0, "path" }, { "unlinkat", 1, "path" }, { "rename", 0, "old_path" },
        { "rename", 1, "new_path" }, { "renameat", 1, "old_path" }, { "renameat2", 3, "new_path" }, { "mkdir", 0, "path" },
        { "chmod", 0, "path" }, { "mkdirat", 1, "path" }, { "fchmodat", 1, "path" }, { "execve", 0, "path" }, { "execveat", 1, "path" },
        { "clone3", 0, "flags" }, { "process_vm_writev", 3, "base_address" }, { "process_vm_readv", 3, "base_address" },
        { "prctl", 1, "name" }, { "memfd_create", 0, "name" }, { "init_module", 2, "module_args" }, { "finit_module", 1, "module_args" },
        { "connect", 1, "remote_address" }, { "bind", 1, "local_address" }, { "sendto", 4, "remote_address" },
        { "writev", 1, "size" }, { "pwritev", 1, "size" }, { "pwritev2", 1, "size" },
    };

    [Theory]
    [MemberData(nameof(PointerSlots))]
    public void A_pointer_to_unmapped_memory_gives_the_unreadable_value_with_its_address(string name, int slot, string key)
    {
        var args = Cases.Where(row => (string)row.Data.Item1 == name).Select(row => ((ulong[])row.Data.Item2).ToArray()).First();
        args[slot] = Unmapped;
        var info = Decode(name, args);
        info.TryGet(key, out var value).ShouldBeTrue();
        value.IsUnreadable.ShouldBeTrue();
        value.Address.ShouldBe(Unmapped);
        value.ToString().ShouldBe("<unreadable@70000000>");
    }

    [Fact]
    public void An_unmapped_argv_string_makes_the_argv_partly_unreadable_and_says_where()
    {
        var g = Guest();
        g.U64(Argv + 8, Unmapped);
        var info = Decode("execve", [P1, Argv, 0], g);
        info.TryGet("argv", out var argv).ShouldBeTrue();
        argv.Kind.ShouldBe(InfoValueKind.PartlyUnreadableJson);
        argv.Address.ShouldBe(Unmapped);
        argv.Text.ShouldBe("[\"/p1\",\"<unreadable@70000000>\"]");
        info["command_line"].ShouldBe("/p1 <unreadable@70000000>");
        info.TryGet("path", out var path).ShouldBeTrue();
        path.HasUnreadable.ShouldBeFalse();
    }

    [Fact]
    public void A_null_path_is_empty_not_unreadable()
    {
        Decode("unlink", [0]).TryGet("path", out var path).ShouldBeTrue();
        path.ShouldBe(InfoValue.String(""));
    }

    [Fact]
    public void An_exec_whose_path_was_unreadable_at_ENTER_is_named_at_EXIT_from_the_new_image()
    {
        var g = Guest();
        OpenFd(g, 5, "payload.sh"); // the file the new image's mm->exe_file points to
        const ulong mm = 0xffff888006000000, exeFile = 0xffff888003003000;
        g.U64(Task + 0x120, mm);
        g.Write(0x900000, "/tmp/payload.sh\0-x\0"u8);
        g.U64(mm + 0x40, 0x900000); g.U64(mm + 0x48, 0x900000 + 19); g.U64(mm + 0x50, exeFile);
        var info = Decode("execve", [Unmapped, Argv, 0], g);
        info.TryGet("path", out var atEnter).ShouldBeTrue();
        atEnter.IsUnreadable.ShouldBeTrue();
        new LinuxSyscallDecoder(new LinuxTaskReader(Profile), Profile).DecodeExit("execve", 0, g, Task, info);
        info["path"].ShouldBe("/tmp/payload.sh");
        info["argv"].ShouldBe("[\"/tmp/payload.sh\",\"-x\"]");
        info["command_line"].ShouldBe("/tmp/payload.sh -x");
        info["argv_source"].ShouldBe("new_image");
    }

    [Fact]
    public void An_exec_read_whole_at_ENTER_is_left_as_it_was_at_EXIT()
    {
        var info = Decode("execve", [P1, Argv, 0]);
        new LinuxSyscallDecoder(new LinuxTaskReader(Profile), Profile).DecodeExit("execve", 0, Guest(), Task, info);
        info["argv_source"].ShouldBeNull();
        info["path"].ShouldBe("/p1");
    }
}
