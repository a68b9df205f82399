namespace Alkanet.Introspection.Linux;

/// <summary>Linux ABI constants the decoder tests or sizes by, each named as in the kernel header it comes from
/// (x86-64 and i386 share these values). Flag words shown to analysts by name are in <see cref="LinuxFlagNames"/>.</summary>
internal static class LinuxAbi
{
    /// <summary>AT_FDCWD, include/uapi/linux/fcntl.h: "relative to the current directory" (no dirfd is logged).</summary>
    public const long AtFdCwd = -100;

    /// <summary>O_CREAT, include/uapi/asm-generic/fcntl.h: the mode argument is used.</summary>
    public const ulong OCreat = 0x40;

    /// <summary>__O_TMPFILE, include/uapi/asm-generic/fcntl.h (O_TMPFILE = __O_TMPFILE | O_DIRECTORY): the mode is used.</summary>
    public const ulong OTmpfileBit = 0x400000;

    /// <summary>MAP_ANONYMOUS, include/uapi/asm-generic/mman-common.h: the fd argument is ignored.</summary>
    public const ulong MapAnonymous = 0x20;

    /// <summary>PR_SET_NAME, include/uapi/linux/prctl.h: arg2 points to the new comm.</summary>
    public const ulong PrSetName = 15;

    /// <summary>PR_SET_PTRACER, include/uapi/linux/prctl.h (0x59616d61, "Yama"): arg2 is the pid allowed to ptrace.</summary>
    public const ulong PrSetPtracer = 0x59616d61;

    /// <summary>TASK_COMM_LEN, include/linux/sched.h: a comm, NUL included.</summary>
    public const int TaskCommLen = 16;

    /// <summary>MFD_NAME_MAX_LEN (mm/memfd.c: NAME_MAX minus "memfd:") plus the NUL.</summary>
    public const int MemfdNameBytes = 249 + 1;

    /// <summary>AF_UNIX, AF_INET, AF_INET6, include/linux/socket.h.</summary>
    public const ushort AfUnix = 1, AfInet = 2, AfInet6 = 10;

    /// <summary>EINPROGRESS (include/uapi/asm-generic/errno.h): a non-blocking connect under way, its local port already bound.</summary>
    public const long EInProgress = 115;

    /// <summary>sizeof(struct sockaddr_un), include/uapi/linux/un.h: the largest address read (2 + 108 bytes of path).</summary>
    public const int SockaddrUnSize = 110;

    /// <summary>MAX_ERRNO, include/linux/err.h: a return in [-4095, -1] is an error.</summary>
    public const long MaxErrno = 4095;
}

/// <summary>Alkanet's own bounds on what one record reads from guest memory (not ABI facts).</summary>
internal static class LinuxReadBounds
{
    /// <summary>Bytes of a module's parameter string.</summary>
    public const int ModuleArgs = 256;

    /// <summary>Pointers of an argv read, and bytes of each argument.</summary>
    public const int ArgvEntries = 32, ArgvEntryBytes = 256;

    /// <summary>struct iovec entries summed for a size (writev, process_vm_*).</summary>
    public const int Iovecs = 64;
}
