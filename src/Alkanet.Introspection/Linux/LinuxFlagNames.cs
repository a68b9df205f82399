using System.Globalization;
using System.Text;

namespace Alkanet.Introspection.Linux;

/// <summary>Readable names for Linux ABI numbers and flag words (values from the Linux UAPI headers,
/// include/uapi/asm-generic/fcntl.h, mman-common.h, sched.h, ptrace.h, prctl.h, signal.h, socket.h).</summary>
public static class LinuxFlagNames
{
    private static readonly (ulong Bit, string Name)[] OpenFlags =
    [
        (0x40, "O_CREAT"), (0x80, "O_EXCL"), (0x100, "O_NOCTTY"), (0x200, "O_TRUNC"), (0x400, "O_APPEND"), (0x800, "O_NONBLOCK"),
        (0x1000, "O_DSYNC"), (0x2000, "O_ASYNC"), (0x4000, "O_DIRECT"), (0x8000, "O_LARGEFILE"), (0x10000, "O_DIRECTORY"),
        (0x20000, "O_NOFOLLOW"), (0x40000, "O_NOATIME"), (0x80000, "O_CLOEXEC"), (0x100000, "O_SYNC"), (0x200000, "O_PATH"), (0x400000, "O_TMPFILE"),
    ];

    private static readonly (ulong Bit, string Name)[] ProtFlags = [(1, "PROT_READ"), (2, "PROT_WRITE"), (4, "PROT_EXEC"),
        (0x1000000, "PROT_GROWSDOWN"), (0x2000000, "PROT_GROWSUP")];

    private static readonly (ulong Bit, string Name)[] MapFlags =
    [
        (0x01, "MAP_SHARED"), (0x02, "MAP_PRIVATE"), (0x10, "MAP_FIXED"), (0x20, "MAP_ANONYMOUS"), (0x100, "MAP_GROWSDOWN"), (0x800, "MAP_DENYWRITE"),
        (0x1000, "MAP_EXECUTABLE"), (0x2000, "MAP_LOCKED"), (0x4000, "MAP_NORESERVE"), (0x8000, "MAP_POPULATE"), (0x10000, "MAP_NONBLOCK"),
        (0x20000, "MAP_STACK"), (0x40000, "MAP_HUGETLB"), (0x100000, "MAP_FIXED_NOREPLACE"),
    ];

    private static readonly (ulong Bit, string Name)[] CloneFlags =
    [
        (0x100, "CLONE_VM"), (0x200, "CLONE_FS"), (0x400, "CLONE_FILES"), (0x800, "CLONE_SIGHAND"), (0x1000, "CLONE_PIDFD"), (0x2000, "CLONE_PTRACE"),
        (0x4000, "CLONE_VFORK"), (0x8000, "CLONE_PARENT"), (0x10000, "CLONE_THREAD"), (0x20000, "CLONE_NEWNS"), (0x40000, "CLONE_SYSVSEM"),
        (0x80000, "CLONE_SETTLS"), (0x100000, "CLONE_PARENT_SETTID"), (0x200000, "CLONE_CHILD_CLEARTID"), (0x800000, "CLONE_UNTRACED"),
        (0x1000000, "CLONE_CHILD_SETTID"), (0x2000000, "CLONE_NEWCGROUP"), (0x4000000, "CLONE_NEWUTS"), (0x8000000, "CLONE_NEWIPC"),
        (0x10000000, "CLONE_NEWUSER"), (0x20000000, "CLONE_NEWPID"), (0x40000000, "CLONE_NEWNET"), (0x80000000, "CLONE_IO"),
    ];

    private static readonly (ulong Bit, string Name)[] MemfdFlags = [(1, "MFD_CLOEXEC"), (2, "MFD_ALLOW_SEALING"), (4, "MFD_HUGETLB")];

    private static readonly Dictionary<ulong, string> PtraceRequests = new()
    {
        [0] = "PTRACE_TRACEME", [1] = "PTRACE_PEEKTEXT", [2] = "PTRACE_PEEKDATA", [3] = "PTRACE_PEEKUSER", [4] = "PTRACE_POKETEXT",
        [5] = "PTRACE_POKEDATA", [6] = "PTRACE_POKEUSER", [7] = "PTRACE_CONT", [8] = "PTRACE_KILL", [9] = "PTRACE_SINGLESTEP",
        [12] = "PTRACE_GETREGS", [13] = "PTRACE_SETREGS", [14] = "PTRACE_GETFPREGS", [15] = "PTRACE_SETFPREGS", [16] = "PTRACE_ATTACH",
        [17] = "PTRACE_DETACH", [24] = "PTRACE_SYSCALL", [0x4200] = "PTRACE_SETOPTIONS", [0x4201] = "PTRACE_GETEVENTMSG",
        [0x4202] = "PTRACE_GETSIGINFO", [0x4203] = "PTRACE_SETSIGINFO", [0x4204] = "PTRACE_GETREGSET", [0x4205] = "PTRACE_SETREGSET",
        [0x4206] = "PTRACE_SEIZE", [0x4207] = "PTRACE_INTERRUPT", [0x4208] = "PTRACE_LISTEN",
    };

    private static readonly Dictionary<ulong, string> PrctlOptions = new()
    {
        [1] = "PR_SET_PDEATHSIG", [2] = "PR_GET_PDEATHSIG", [3] = "PR_GET_DUMPABLE", [4] = "PR_SET_DUMPABLE", [8] = "PR_SET_KEEPCAPS",
        [15] = "PR_SET_NAME", [16] = "PR_GET_NAME", [21] = "PR_GET_SECCOMP", [22] = "PR_SET_SECCOMP", [36] = "PR_SET_CHILD_SUBREAPER",
        [38] = "PR_SET_NO_NEW_PRIVS", [0x59616d61] = "PR_SET_PTRACER",
    };

    private static readonly string[] Signals =
    [
        "0", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2",
        "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU",
        "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
    ];

    private static readonly Dictionary<ulong, string> Families = new()
    {
        [0] = "AF_UNSPEC", [1] = "AF_UNIX", [2] = "AF_INET", [10] = "AF_INET6", [16] = "AF_NETLINK", [17] = "AF_PACKET",
    };

    public static string Open(ulong flags)
    {
        var acc = (flags & 3) switch { 0 => "O_RDONLY", 1 => "O_WRONLY", 2 => "O_RDWR", _ => "O_ACCMODE" };
        var rest = Join(flags & ~3UL, OpenFlags);
        return rest.Length == 0 ? acc : acc + "|" + rest;
    }

    public static string Prot(ulong prot) => prot == 0 ? "PROT_NONE" : Join(prot, ProtFlags);

    public static string Map(ulong flags) => Join(flags, MapFlags);

    public static string Clone(ulong flags)
    {
        var names = Join(flags & ~0xFFUL, CloneFlags);
        var sig = flags & 0xFF;
        if (sig == 0) return names;
        var s = Signal(sig);
        return names.Length == 0 ? s : names + "|" + s;
    }

    public static string Memfd(ulong flags) => Join(flags, MemfdFlags);

    public static string PtraceRequest(ulong request) => PtraceRequests.GetValueOrDefault(request) ?? "PTRACE_" + Hex(request);

    public static string PrctlOption(ulong option) => PrctlOptions.GetValueOrDefault(option) ?? "PR_" + Hex(option);

    public static string Signal(ulong signal) => signal < (ulong)Signals.Length ? Signals[signal] : "SIG"
        + signal.ToString(CultureInfo.InvariantCulture);

    public static string Family(ulong family) => Families.GetValueOrDefault(family) ?? "AF_" + family.ToString(CultureInfo.InvariantCulture);

    internal static string Hex(ulong v) => v.ToString("x", CultureInfo.InvariantCulture);

    private static string Join(ulong flags, (ulong Bit, string Name)[] table)
    {
        var sb = new StringBuilder();
        foreach (var (bit, name) in table)
        {
            if ((flags & bit) != bit) continue;
            if (sb.Length > 0) sb.Append('|');
            sb.Append(name);
            flags &= ~bit;
        }
        if (flags != 0)
        {
            if (sb.Length > 0) sb.Append('|');
            sb.Append("0x").Append(Hex(flags));
        }
        return sb.ToString();
    }
}
