using Alkanet.Introspection.Hooks;

namespace Alkanet.Introspection.Linux;

/// <summary>Derives a <see cref="LinuxProfile"/> from the kernel itself: the vmlinux ELF (BTF, code bytes,
/// sys_call_table) and its kallsyms (from one <c>nokaslr</c> boot).</summary>
public static class LinuxProfileBuilder
{
    /// <summary>"struct.member" paths the tracer reads (BTF answers them; anonymous unions are looked through).</summary>
    public static readonly string[] RequiredOffsets =
    [
        "pt_regs.di", "pt_regs.si", "pt_regs.dx", "pt_regs.r10", "pt_regs.r8", "pt_regs.r9", "pt_regs.ax", "pt_regs.orig_ax",
        "pt_regs.bx", "pt_regs.cx", "pt_regs.bp",
        "task_struct.pid", "task_struct.tgid", "task_struct.comm", "task_struct.real_parent", "task_struct.mm", "task_struct.files",
        "files_struct.fdt", "fdtable.max_fds", "fdtable.fd", "file.f_path", "path.mnt", "path.dentry",
        "dentry.d_parent", "dentry.d_name", "qstr.len", "qstr.name", "mount.mnt", "mount.mnt_parent", "mount.mnt_mountpoint",
        "mm_struct.arg_start", "mm_struct.arg_end", "mm_struct.exe_file",
        "dentry.d_sb", "super_block.s_type", "file_system_type.name",
        "clone_args.flags", "open_how.flags", "open_how.mode",
        "task_struct.thread_info", "thread_info.status",
        // a socket's local end at the EXIT of connect/bind/sendto/sendmsg (fd -> file -> socket -> sock)
        "file.private_data", "socket.file", "socket.sk", "sock.__sk_common", "sock_common.skc_family", "sock_common.skc_num",
        "sock_common.skc_rcv_saddr",
    ];

    public static readonly string[] RequiredSizes = ["pt_regs", "task_struct"];

    /// <summary>True when <paramref name="profile"/> has every offset and size this version reads (an older cached
    /// profile is rebuilt rather than failing inside the hook).</summary>
    public static bool IsComplete(LinuxProfile profile) =>
        RequiredOffsets.All(profile.Offsets.ContainsKey) && RequiredSizes.All(profile.Sizes.ContainsKey)
        && Enum.GetValues<SiteKind>().All(k => profile.Sites.Any(s => s.Kind == k))
        && profile.Syscalls32.Count > 0;

    /// <param name="warn">Told each i386 call of data/linux/syscall_32.tbl whose entry point this kernel lacks.</param>
    public static LinuxProfile Build(ElfImage vmlinux, Kallsyms symbols, string release, Action<string>? warn = null)
    {
        var btfSection = vmlinux.Section(".BTF") ??
            throw new InvalidDataException($"{vmlinux.Path}: no .BTF section (kernel built without CONFIG_DEBUG_INFO_BTF)");
        var btf = BtfTypes.Parse(vmlinux.SectionBytes(btfSection));
        var p = new LinuxProfile { KernelRelease = release, CurrentTaskPercpu = symbols.Get("current_task") };
        foreach (var path in RequiredOffsets)
        {
            var dot = path.IndexOf('.', StringComparison.Ordinal);
            p.Offsets[path] = btf.Offset(path[..dot], path[(dot + 1)..]);
        }
        foreach (var s in RequiredSizes) p.Sizes[s] = btf.Size(s);
        AddSite(p, vmlinux, symbols, SiteKind.Enter, "x64_sys_call");
        AddSite(p, vmlinux, symbols, SiteKind.Enter32, "ia32_sys_call");
        AddSite(p, vmlinux, symbols, SiteKind.Exit, "syscall_exit_to_user_mode_prepare");
        p.Syscalls64 = LinuxSyscallTable.FromKernel(vmlinux, symbols, "sys_call_table", "__x64_sys_");
        p.Syscalls32 = symbols.TryGet("ia32_sys_call_table", out _)
            ? LinuxSyscallTable.FromKernel(vmlinux, symbols, "ia32_sys_call_table", "__ia32_sys_", "__ia32_compat_sys_")
            : Syscalls32FromSource(symbols, warn);
        return p;
    }

    /// <summary>A kernel with the branch-history fix (Debian's 6.1) dispatches int 0x80 through a switch and keeps no
    /// ia32_sys_call_table: the table then comes from the kernel source's syscall_32.tbl, checked against this
    /// kernel's __ia32_* symbols (a call whose entry point is absent stays unnamed, with a warning).</summary>
    public static LinuxSyscallTable Syscalls32FromSource(Kallsyms symbols, Action<string>? warn, LinuxI386Table? table = null)
    {
        table ??= LinuxI386Table.Embedded;
        var missing = table.CrossCheck(symbols);
        foreach (var (_, message) in missing) warn?.Invoke(message);
        return table.ToTable(missing.Select(m => m.Number).ToHashSet());
    }

    private static void AddSite(LinuxProfile p, ElfImage vmlinux, Kallsyms symbols, SiteKind kind, string symbol)
    {
        var addr = symbols.Get(symbol);
        var fp = new byte[12];
        if (!vmlinux.TryReadAddress(addr + LinuxProfile.FingerprintSkip, fp))
            throw new InvalidDataException($"{vmlinux.Path}: code of {symbol} at {addr:x} is not in the file");
        p.Sites.Add(new LinuxLinkSite(kind, symbol, addr, fp));
    }
}
