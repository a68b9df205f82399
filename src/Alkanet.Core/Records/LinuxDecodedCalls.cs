using System.Collections.Frozen;

namespace Alkanet.Core.Records;

/// <summary>
/// The Linux calls whose records carry decoded <c>additional_info</c> (docs/RECORD.md), each with its argument
/// names in register order (di, si, dx, r10, r8, r9 for x86-64; ebx, ecx, edx, esi, edi, ebp for int 0x80).
/// The one list both sides use: the tracer's decoder (Alkanet.Introspection, <c>LinuxCallSpecs</c>) has one spec
/// per entry, and the report's handlers (Alkanet.Analysis) handle only calls named here. Argument names are the
/// kernel's own, from the SYSCALL_DEFINE prototypes declared in include/linux/syscalls.h. Every other call is
/// still logged, by name, number, raw arguments and result.
/// </summary>
public static class LinuxDecodedCalls
{
    /// <summary>Argument names by call. An empty list: decoded at EXIT only (fork/vfork: the child's pid).</summary>
    public static readonly FrozenDictionary<string, string[]> Arguments = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        // files
        ["open"] = ["filename", "flags", "mode"],
        ["creat"] = ["pathname", "mode"],
        ["openat"] = ["dfd", "filename", "flags", "mode"],
        ["openat2"] = ["dfd", "filename", "how", "usize"],
        // data moved into a file by the kernel, not from a user buffer (the file's capture has a gap)
        ["sendfile"] = ["out_fd", "in_fd", "offset", "count"],
        ["copy_file_range"] = ["fd_in", "off_in", "fd_out", "off_out", "len", "flags"],
        ["splice"] = ["fd_in", "off_in", "fd_out", "off_out", "len", "flags"],
        ["read"] = ["fd", "buf", "count"],
        ["write"] = ["fd", "buf", "count"],
        ["pread64"] = ["fd", "buf", "count", "pos"],
        ["pwrite64"] = ["fd", "buf", "count", "pos"],
        ["writev"] = ["fd", "vec", "vlen"],
        ["pwritev"] = ["fd", "vec", "vlen", "pos_l", "pos_h"],
        ["pwritev2"] = ["fd", "vec", "vlen", "pos_l", "pos_h", "flags"],
        ["close"] = ["fd"],
        // fd aliases and positions, which the dropped-file capture follows (docs/EVIDENCE.md)
        ["dup"] = ["fildes"],
        ["dup2"] = ["oldfd", "newfd"],
        ["dup3"] = ["oldfd", "newfd", "flags"],
        ["fcntl"] = ["fd", "cmd", "arg"],
        ["lseek"] = ["fd", "offset", "whence"],
        ["link"] = ["oldname", "newname"],
        ["linkat"] = ["olddfd", "oldname", "newdfd", "newname", "flags"],
        ["fsync"] = ["fd"],
        ["fchdir"] = ["fd"],
        ["fchmod"] = ["fd", "mode"],
        ["unlink"] = ["pathname"],
        ["rmdir"] = ["pathname"],
        ["chdir"] = ["filename"],
        ["chroot"] = ["filename"],
        ["unlinkat"] = ["dfd", "pathname", "flag"],
        ["rename"] = ["oldname", "newname"],
        ["renameat"] = ["olddfd", "oldname", "newdfd", "newname"],
        ["renameat2"] = ["olddfd", "oldname", "newdfd", "newname", "flags"],
        ["mkdir"] = ["pathname", "mode"],
        ["chmod"] = ["filename", "mode"],
        ["mkdirat"] = ["dfd", "pathname", "mode"],
        ["fchmodat"] = ["dfd", "filename", "mode"],
        ["utimensat"] = ["dfd", "filename", "utimes", "flags"],
        // processes
        ["execve"] = ["filename", "argv", "envp"],
        ["execveat"] = ["fd", "filename", "argv", "envp", "flags"],
        ["clone"] = ["clone_flags", "newsp", "parent_tidptr", "child_tidptr", "tls"],
        ["clone3"] = ["uargs", "size"],
        ["fork"] = [],
        ["vfork"] = [],
        ["exit"] = ["error_code"],
        ["exit_group"] = ["error_code"],
        ["kill"] = ["pid", "sig"],
        ["tkill"] = ["pid", "sig"],
        ["tgkill"] = ["tgid", "pid", "sig"],
        ["ptrace"] = ["request", "pid", "addr", "data"],
        ["process_vm_readv"] = ["pid", "lvec", "liovcnt", "rvec", "riovcnt", "flags"],
        ["process_vm_writev"] = ["pid", "lvec", "liovcnt", "rvec", "riovcnt", "flags"],
        ["prctl"] = ["option", "arg2", "arg3", "arg4", "arg5"],
        ["memfd_create"] = ["uname", "flags"],
        ["init_module"] = ["umod", "len", "uargs"],
        ["finit_module"] = ["fd", "uargs", "flags"],
        // memory
        ["mmap"] = ["addr", "len", "prot", "flags", "fd", "off"],
        ["mprotect"] = ["start", "len", "prot"],
        // network
        ["socket"] = ["family", "type", "protocol"],
        ["connect"] = ["fd", "uservaddr", "addrlen"],
        ["bind"] = ["fd", "umyaddr", "addrlen"],
        ["sendto"] = ["fd", "buff", "len", "flags", "addr", "addr_len"],
        // credentials
        ["setuid"] = ["uid"],
        ["setgid"] = ["gid"],
        ["setfsuid"] = ["uid"],
        ["setfsgid"] = ["gid"],
        ["setreuid"] = ["ruid", "euid"],
        ["setregid"] = ["rgid", "egid"],
        ["setresuid"] = ["ruid", "euid", "suid"],
        ["setresgid"] = ["rgid", "egid", "sgid"],
        // time
        ["nanosleep"] = ["rqtp", "rmtp"],
        ["clock_nanosleep"] = ["which_clock", "flags", "rqtp", "rmtp"],
    }.ToFrozenDictionary(StringComparer.Ordinal);

    public static bool IsDecoded(string name) => Arguments.ContainsKey(name);

    /// <summary>True when the call's ENTER reads arguments (so the tracer must read its saved registers).</summary>
    public static bool HasArguments(string name) => Arguments.TryGetValue(name, out var a) && a.Length > 0;
}
