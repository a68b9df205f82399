using System.Collections.Frozen;
using Alkanet.Core.Records;
using F = Alkanet.Introspection.Linux.LinuxFlagNames;

namespace Alkanet.Introspection.Linux;

/// <summary>Decodes the ENTER of one call from its named arguments.</summary>
public delegate void LinuxEnterDecoder(in LinuxCallContext c);

/// <summary>How to decode one Linux call: its name, its argument names (from <see cref="LinuxDecodedCalls"/>) and
/// what its ENTER logs. What only the EXIT knows (a child's pid, an open's fd) is in <see cref="LinuxSyscallDecoder"/>.</summary>
public sealed record LinuxCallSpec(string Name, string[] Arguments, LinuxEnterDecoder Enter);

/// <summary>
/// The decoders, one per entry of <see cref="LinuxDecodedCalls"/> (a test checks the two lists agree), by call name;
/// numbers come from the kernel's own table. Keys follow docs/RECORD.md; arguments are the kernel's names.
/// Both the 64-bit calls and the 32-bit (int 0x80) ones use these: <see cref="LinuxCompatDecoder"/> translates only
/// where the i386 ABI differs.
/// </summary>
public static class LinuxCallSpecs
{
    public static readonly FrozenDictionary<string, LinuxCallSpec> All = Build().ToFrozenDictionary(StringComparer.Ordinal);

    private static Dictionary<string, LinuxCallSpec> Build()
    {
        var enter = new Dictionary<string, LinuxEnterDecoder>(StringComparer.Ordinal)
        {
            // Files
            ["open"] = (in LinuxCallContext c) => Open(c, "filename"),
            ["openat"] = (in LinuxCallContext c) => { c.DirFd("dfd"); Open(c, "filename"); },
            ["openat2"] = OpenAt2,
            ["creat"] = (in LinuxCallContext c) => { c.Path("path", "pathname"); c.Mode(c.Arg("mode")); },
            ["read"] = FdAndCount,
            ["write"] = (in LinuxCallContext c) => { FdAndCount(c); c.WriteData("buf", "count"); },
            ["pread64"] = FdAndCount,
            ["pwrite64"] = (in LinuxCallContext c) => { FdAndCount(c); c.WriteData("buf", "count", "pos"); },
            ["writev"] = (in LinuxCallContext c) => FdAndIovecs(c, null),
            ["pwritev"] = (in LinuxCallContext c) => FdAndIovecs(c, "pos_l"),
            ["pwritev2"] = (in LinuxCallContext c) => { FdAndIovecs(c, "pos_l"); c.Flags("flags", c.Arg("flags")); },
            ["sendfile"] = (in LinuxCallContext c) => { c.Fd("out_fd"); c.Hex("size", c.Arg("count")); },
            ["copy_file_range"] = (in LinuxCallContext c) => { c.Fd("fd_out"); c.Hex("size", c.Arg("len")); },
            ["splice"] = (in LinuxCallContext c) => { c.Fd("fd_out"); c.Hex("size", c.Arg("len")); },
            ["close"] = (in LinuxCallContext c) => c.Fd("fd"),
            // fd numbers only (no fd_path read): the host follows aliases and positions through them
            ["dup"] = (in LinuxCallContext c) => c.Hex("fd", c.Arg32("fildes")),
            ["dup2"] = (in LinuxCallContext c) => { c.Hex("fd", c.Arg32("oldfd")); c.Hex("new_fd", c.Arg32("newfd")); },
            ["dup3"] = (in LinuxCallContext c) => { c.Hex("fd", c.Arg32("oldfd")); c.Hex("new_fd", c.Arg32("newfd")); },
            ["fcntl"] = (in LinuxCallContext c) => { c.Hex("fd", c.Arg32("fd")); c.Hex("cmd", c.Arg32("cmd")); },
            ["lseek"] = (in LinuxCallContext c) => { c.Hex("fd", c.Arg32("fd")); c.Hex("whence", c.Arg32("whence")); },
            ["link"] = (in LinuxCallContext c) => { c.Path("old_path", "oldname"); c.Path("new_path", "newname"); },
            ["linkat"] = (in LinuxCallContext c) =>
            {
                c.DirFd("olddfd");
                c.Path("old_path", "oldname");
                c.Path("new_path", "newname");
                c.Flags("flags", c.Arg("flags"));
            },
            ["fsync"] = (in LinuxCallContext c) => c.Fd("fd"),
            ["fchdir"] = (in LinuxCallContext c) => c.Fd("fd"),
            ["fchmod"] = (in LinuxCallContext c) => { c.Fd("fd"); c.Mode(c.Arg("mode")); },
            ["unlink"] = (in LinuxCallContext c) => c.Path("path", "pathname"),
            ["rmdir"] = (in LinuxCallContext c) => c.Path("path", "pathname"),
            ["chdir"] = (in LinuxCallContext c) => c.Path("path", "filename"),
            ["chroot"] = (in LinuxCallContext c) => c.Path("path", "filename"),
            ["unlinkat"] = (in LinuxCallContext c) => { c.DirFd("dfd"); c.Path("path", "pathname"); c.Flags("flags", c.Arg("flag")); },
            ["rename"] = (in LinuxCallContext c) => { c.Path("old_path", "oldname"); c.Path("new_path", "newname"); },
            ["renameat"] = RenameAt,
            ["renameat2"] = (in LinuxCallContext c) => { RenameAt(c); c.Flags("flags", c.Arg("flags")); },
            ["mkdir"] = (in LinuxCallContext c) => { c.Path("path", "pathname"); c.Mode(c.Arg("mode")); },
            ["chmod"] = (in LinuxCallContext c) => { c.Path("path", "filename"); c.Mode(c.Arg("mode")); },
            ["mkdirat"] = (in LinuxCallContext c) => { c.DirFd("dfd"); c.Path("path", "pathname"); c.Mode(c.Arg("mode")); },
            ["fchmodat"] = (in LinuxCallContext c) => { c.DirFd("dfd"); c.Path("path", "filename"); c.Mode(c.Arg("mode")); },
            // utimensat(dfd, NULL, times, 0) is futimens on dfd itself: no path. A non-null utimes sets chosen dates.
            ["utimensat"] = (in LinuxCallContext c) =>
            {
                c.DirFd("dfd");
                c.Hex("times", c.Arg("utimes"));
                if (c.Arg("filename") != 0) c.Path("path", "filename");
            },

            // Processes
            ["execve"] = (in LinuxCallContext c) => c.Exec("filename", "argv"),
            ["execveat"] = (in LinuxCallContext c) => { c.DirFd("fd"); c.Flags("flags", c.Arg("flags")); c.Exec("filename", "argv"); },
            ["clone"] = (in LinuxCallContext c) => c.Flags("flags", c.Arg("clone_flags"), F.Clone),
            ["clone3"] = Clone3,
            ["fork"] = static (in LinuxCallContext _) => { }, // nothing to read: the EXIT logs the child
            ["vfork"] = static (in LinuxCallContext _) => { },
            ["exit"] = Exit,
            ["exit_group"] = Exit,
            ["kill"] = (in LinuxCallContext c) => Signal(c, "target_pid", "pid"),
            ["tkill"] = (in LinuxCallContext c) => Signal(c, "target_tid", "pid"),
            ["tgkill"] = (in LinuxCallContext c) => { c.Hex("target_pid", c.Arg32("tgid")); Signal(c, "target_tid", "pid"); },
            ["ptrace"] = (in LinuxCallContext c) =>
            {
                c.Hex("request", c.Arg("request"));
                c.Text("request_name", F.PtraceRequest(c.Arg("request")));
                c.Hex("target_pid", c.Arg32("pid"));
                c.Hex("addr", c.Arg("addr"));
                c.Hex("data", c.Arg("data"));
            },
            ["process_vm_readv"] = ProcessVm,
            ["process_vm_writev"] = (in LinuxCallContext c) => { ProcessVm(c); c.WriteIovecData("lvec", "liovcnt", null); },
            ["prctl"] = Prctl,
            ["memfd_create"] = (in LinuxCallContext c) =>
            {
                c.Path("name", "uname", LinuxAbi.MemfdNameBytes);
                c.Flags("flags", c.Arg("flags"), F.Memfd);
            },
            ["init_module"] = (in LinuxCallContext c) =>
            {
                c.Hex("base_address", c.Arg("umod"));
                c.Hex("module_size", c.Arg("len"));
                c.Path("module_args", "uargs", LinuxReadBounds.ModuleArgs);
            },
            ["finit_module"] = (in LinuxCallContext c) =>
            {
                c.Fd("fd");
                c.Flags("flags", c.Arg("flags"));
                c.Path("module_args", "uargs", LinuxReadBounds.ModuleArgs);
            },

            // Memory
            ["mmap"] = (in LinuxCallContext c) =>
            {
                Region(c, "addr", "len");
                c.Flags("prot", c.Arg("prot"), F.Prot);
                c.Flags("flags", c.Arg("flags"), F.Map);
                if ((c.Arg("flags") & LinuxAbi.MapAnonymous) == 0 && (long)c.Arg("fd") >= 0) c.Fd("fd");
            },
            ["mprotect"] = (in LinuxCallContext c) => { Region(c, "start", "len"); c.Flags("prot", c.Arg("prot"), F.Prot); },

            // Network
            ["socket"] = (in LinuxCallContext c) =>
            {
                c.Text("family", F.Family(c.Arg("family")));
                c.Hex("type", c.Arg("type"));
                c.Hex("protocol", c.Arg("protocol"));
            },
            ["connect"] = (in LinuxCallContext c) => { c.Fd("fd"); c.SockAddr("remote_address", "uservaddr", "addrlen"); },
            ["bind"] = (in LinuxCallContext c) => { c.Fd("fd"); c.SockAddr("local_address", "umyaddr", "addrlen"); },
            ["sendto"] = (in LinuxCallContext c) =>
            {
                c.Fd("fd");
                c.Hex("size", c.Arg("len"));
                if (c.Arg("addr") != 0) c.SockAddr("remote_address", "addr", "addr_len");
            },

            // Credentials: the effective id is "uid" whatever the call (docs/RECORD.md)
            ["setuid"] = (in LinuxCallContext c) => c.Hex("uid", c.Arg32("uid")),
            ["setgid"] = (in LinuxCallContext c) => c.Hex("uid", c.Arg32("gid")),
            ["setfsuid"] = (in LinuxCallContext c) => c.Hex("uid", c.Arg32("uid")),
            ["setfsgid"] = (in LinuxCallContext c) => c.Hex("uid", c.Arg32("gid")),
            ["setreuid"] = (in LinuxCallContext c) => SetRe(c, "ruid", "euid"),
            ["setregid"] = (in LinuxCallContext c) => SetRe(c, "rgid", "egid"),
            ["setresuid"] = (in LinuxCallContext c) => { SetRe(c, "ruid", "euid"); c.Hex("suid", c.Arg32("suid")); },
            ["setresgid"] = (in LinuxCallContext c) => { SetRe(c, "rgid", "egid"); c.Hex("suid", c.Arg32("sgid")); },

            // Time
            ["nanosleep"] = (in LinuxCallContext c) => c.Timespec("rqtp"),
            ["clock_nanosleep"] = (in LinuxCallContext c) => c.Timespec("rqtp"),
        };
        var specs = new Dictionary<string, LinuxCallSpec>(StringComparer.Ordinal);
        foreach (var (name, args) in LinuxDecodedCalls.Arguments)
        {
            if (!enter.TryGetValue(name, out var decode))
                throw new InvalidOperationException($"LinuxDecodedCalls names '{name}' but LinuxCallSpecs has no decoder for it");
            specs[name] = new LinuxCallSpec(name, args, decode);
        }
        foreach (var name in enter.Keys)
            if (!specs.ContainsKey(name))
                throw new InvalidOperationException($"LinuxCallSpecs decodes '{name}', which LinuxDecodedCalls does not name");
        return specs;
    }

    private static void Open(in LinuxCallContext c, string pathSlot)
    {
        c.Path("path", pathSlot);
        c.Flags("flags", c.Arg("flags"), F.Open);
        c.CreateMode(c.Arg("flags"), c.Arg("mode"));
    }

    /// <summary>openat2: flags and mode are in struct open_how (offsets from the kernel's BTF).</summary>
    private static void OpenAt2(in LinuxCallContext c)
    {
        c.DirFd("dfd");
        c.Path("path", "filename");
        if (c.TryStructU64("how", c.Offset("open_how.flags"), out var flags)) c.Flags("flags", flags, F.Open);
        if (c.TryStructU64("how", c.Offset("open_how.mode"), out var mode)) c.Mode(mode);
    }

    private static void FdAndCount(in LinuxCallContext c)
    {
        c.Fd("fd");
        c.Hex("size", c.Arg("count"));
    }

    /// <summary>writev and pwritev*: the fd, how many iovecs, and the bytes they hold in all.</summary>
    private static void FdAndIovecs(in LinuxCallContext c, string? posSlot)
    {
        c.Fd("fd");
        c.Hex("iov_count", c.Arg("vlen"));
        c.Iovecs("vec", "vlen", baseKey: null, sizeKey: "size");
        c.WriteIovecData("vec", "vlen", posSlot);
    }

    private static void RenameAt(in LinuxCallContext c)
    {
        c.DirFd("olddfd");
        c.Path("old_path", "oldname");
        c.Path("new_path", "newname");
    }

    /// <summary>clone3: the flags are in struct clone_args (offset from the kernel's BTF).</summary>
    private static void Clone3(in LinuxCallContext c)
    {
        if (c.TryStructU64("uargs", c.Offset("clone_args.flags"), out var flags)) c.Flags("flags", flags, F.Clone);
        else c.Unreadable("flags", "uargs");
    }

    private static void Exit(in LinuxCallContext c) => c.Dec("status", (int)c.Arg("error_code"));

    private static void Signal(in LinuxCallContext c, string key, string pidSlot)
    {
        c.Hex(key, c.Arg32(pidSlot));
        c.Hex("signal", c.Arg("sig"));
        c.Text("signal_name", F.Signal(c.Arg("sig")));
    }

    /// <summary>process_vm_readv/writev: the target and the remote iovecs (the other process's memory).</summary>
    private static void ProcessVm(in LinuxCallContext c)
    {
        c.Hex("target_pid", c.Arg32("pid"));
        c.Iovecs("rvec", "riovcnt", baseKey: "base_address", sizeKey: "size");
    }

    private static void Prctl(in LinuxCallContext c)
    {
        var option = c.Arg("option");
        c.Hex("option", option);
        c.Text("option_name", F.PrctlOption(option));
        if (option == LinuxAbi.PrSetName) c.Path("name", "arg2", LinuxAbi.TaskCommLen);
        else if (option == LinuxAbi.PrSetPtracer) c.Hex("target_pid", c.Arg("arg2"));
    }

    private static void Region(in LinuxCallContext c, string addressSlot, string lengthSlot)
    {
        c.Hex("base_address", c.Arg(addressSlot));
        c.Hex("size", c.Arg(lengthSlot));
    }

    private static void SetRe(in LinuxCallContext c, string realSlot, string effectiveSlot)
    {
        c.Hex("uid", c.Arg32(effectiveSlot));
        c.Hex("ruid", c.Arg32(realSlot));
    }
}
