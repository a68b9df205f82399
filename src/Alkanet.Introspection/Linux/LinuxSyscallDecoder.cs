using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Alkanet.Core.Records;
using Alkanet.Introspection.Memory;

namespace Alkanet.Introspection.Linux;

/// <summary>Decodes the arguments (ENTER) and results (EXIT) of the calls analysts look for, into the
/// <c>additional_info</c> vocabulary of docs/RECORD.md. Arguments come from the saved user registers
/// (pt_regs: di, si, dx, r10, r8, r9); strings and structures are read from the caller's memory.</summary>
public sealed class LinuxSyscallDecoder(LinuxTaskReader tasks, LinuxProfile profile)
{
    private const long AtFdCwd = -100;

    /// <summary>The calls <see cref="DecodeEnter"/> decodes (the others are logged by name, number and result).</summary>
    public static readonly IReadOnlySet<string> DecodedCalls = new HashSet<string>(StringComparer.Ordinal)
    {
        "bind", "chdir", "chmod", "chroot", "clock_nanosleep", "clone", "clone3", "close", "connect", "creat", "execve", "execveat", "exit",
        "exit_group", "fchdir", "fchmod", "fchmodat", "finit_module", "fsync", "init_module", "kill", "memfd_create", "mkdir", "mkdirat", "mmap",
        "mprotect", "nanosleep", "open", "openat", "openat2", "prctl", "pread64", "process_vm_readv", "process_vm_writev", "ptrace", "pwrite64",
        "read", "rename", "renameat", "renameat2", "rmdir", "sendto", "setfsgid", "setfsuid", "setgid", "setregid", "setresgid", "setresuid",
        "setreuid", "setuid", "socket", "tgkill", "tkill", "unlink", "unlinkat", "utimensat", "write",
    };
    private readonly int _cloneArgsFlags = profile.Offset("clone_args.flags");
    private readonly int _openHowFlags = profile.Offset("open_how.flags");
    private readonly int _openHowMode = profile.Offset("open_how.mode");

    /// <summary>Fills <paramref name="info"/> for the ENTER of <paramref name="name"/>. Returns the address of a path
    /// argument that could not be read (0 if none), to be tried again at EXIT.</summary>
    public ulong DecodeEnter(string name, ReadOnlySpan<ulong> a, IVirtualMemory mem, ulong task, AdditionalInfo info)
    {
        switch (name)
        {
            case "open": return Path(info, "path", mem, a[0]) | Flags(info, "flags", a[1], LinuxFlagNames.Open(a[1])) | CreateMode(info, a[1], a[2]);
            case "creat": return Path(info, "path", mem, a[0]) | Mode(info, a[1]);
            case "openat": DirFd(info, a[0]); return Path(info, "path", mem, a[1]) | Flags(info, "flags", a[2], LinuxFlagNames.Open(a[2])) | CreateMode(info, a[2], a[3]);
            case "openat2":
            {
                DirFd(info, a[0]);
                var miss = Path(info, "path", mem, a[1]);
                if (GuestReads.TryU64(mem, a[2] + (ulong)_openHowFlags, out var f)) Flags(info, "flags", f, LinuxFlagNames.Open(f));
                if (GuestReads.TryU64(mem, a[2] + (ulong)_openHowMode, out var m)) Mode(info, m);
                return miss;
            }
            case "read": case "write": case "pread64": case "pwrite64":
                Fd(info, mem, task, a[0]); info.Set("size", Hex(a[2])); return 0;
            case "close": case "fsync": case "fchdir": Fd(info, mem, task, a[0]); return 0;
            case "fchmod": Fd(info, mem, task, a[0]); Mode(info, a[1]); return 0;
            case "unlink": case "rmdir": case "chdir": case "chroot": return Path(info, "path", mem, a[0]);
            case "unlinkat": DirFd(info, a[0]); return Path(info, "path", mem, a[1]) | Flags(info, "flags", a[2], null);
            case "rename": return Path(info, "old_path", mem, a[0]) | Path(info, "new_path", mem, a[1]);
            case "renameat": case "renameat2":
                DirFd(info, a[0]);
                var missR = Path(info, "old_path", mem, a[1]) | Path(info, "new_path", mem, a[3]);
                if (name == "renameat2") Flags(info, "flags", a[4], null);
                return missR;
            case "mkdir": case "chmod": return Path(info, "path", mem, a[0]) | Mode(info, a[1]);
            case "mkdirat": case "fchmodat": DirFd(info, a[0]); return Path(info, "path", mem, a[1]) | Mode(info, a[2]);
            case "utimensat": DirFd(info, a[0]); info.Set("times", Hex(a[2])); return a[1] == 0 ? 0 : Path(info, "path", mem, a[1]);
            case "execve": return Exec(info, mem, a[0], a[1]);
            case "execveat": DirFd(info, a[0]); Flags(info, "flags", a[4], null); return Exec(info, mem, a[1], a[2]);
            case "clone": Flags(info, "flags", a[0], LinuxFlagNames.Clone(a[0])); return 0;
            case "clone3":
                if (GuestReads.TryU64(mem, a[0] + (ulong)_cloneArgsFlags, out var cf)) Flags(info, "flags", cf, LinuxFlagNames.Clone(cf));
                else info.Set("flags", GuestReads.Unreadable(a[0]));
                return 0;
            case "exit_group": case "exit": info.Set("status", Dec((long)(int)a[0])); return 0;
            case "kill": case "tkill":
                info.Set(name == "kill" ? "target_pid" : "target_tid", Hex((ulong)(uint)a[0])).Set("signal", Hex(a[1])).Set("signal_name", LinuxFlagNames.Signal(a[1]));
                return 0;
            case "tgkill":
                info.Set("target_pid", Hex((ulong)(uint)a[0])).Set("target_tid", Hex((ulong)(uint)a[1])).Set("signal", Hex(a[2])).Set("signal_name", LinuxFlagNames.Signal(a[2]));
                return 0;
            case "ptrace":
                info.Set("request", Hex(a[0])).Set("request_name", LinuxFlagNames.PtraceRequest(a[0]))
                    .Set("target_pid", Hex((ulong)(uint)a[1])).Set("addr", Hex(a[2])).Set("data", Hex(a[3]));
                return 0;
            case "process_vm_writev": case "process_vm_readv": ProcessVm(info, mem, a); return 0;
            case "mmap":
                info.Set("base_address", Hex(a[0])).Set("size", Hex(a[1]));
                Flags(info, "prot", a[2], LinuxFlagNames.Prot(a[2]));
                Flags(info, "flags", a[3], LinuxFlagNames.Map(a[3]));
                if ((a[3] & 0x20) == 0 && (long)a[4] >= 0) Fd(info, mem, task, a[4]);
                return 0;
            case "mprotect":
                info.Set("base_address", Hex(a[0])).Set("size", Hex(a[1]));
                Flags(info, "prot", a[2], LinuxFlagNames.Prot(a[2]));
                return 0;
            case "socket":
                info.Set("family", LinuxFlagNames.Family(a[0])).Set("type", Hex(a[1])).Set("protocol", Hex(a[2]));
                return 0;
            case "connect": Fd(info, mem, task, a[0]); SockAddr(info, mem, a[1], a[2], "remote_address"); return 0;
            case "bind": Fd(info, mem, task, a[0]); SockAddr(info, mem, a[1], a[2], "local_address"); return 0;
            case "sendto":
                Fd(info, mem, task, a[0]);
                info.Set("size", Hex(a[2]));
                if (a[4] != 0) SockAddr(info, mem, a[4], a[5], "remote_address");
                return 0;
            case "setuid": case "setgid": case "setfsuid": case "setfsgid": info.Set("uid", Hex((ulong)(uint)a[0])); return 0;
            case "setreuid": case "setregid":
                info.Set("uid", Hex((ulong)(uint)a[1])).Set("ruid", Hex((ulong)(uint)a[0])); return 0;
            case "setresuid": case "setresgid":
                info.Set("uid", Hex((ulong)(uint)a[1])).Set("ruid", Hex((ulong)(uint)a[0])).Set("suid", Hex((ulong)(uint)a[2])); return 0;
            case "prctl":
                info.Set("option", Hex(a[0])).Set("option_name", LinuxFlagNames.PrctlOption(a[0]));
                if (a[0] == 15) return Path(info, "name", mem, a[1], 16);
                if (a[0] == 0x59616d61) info.Set("target_pid", Hex(a[1]));
                return 0;
            case "memfd_create":
            {
                var miss = Path(info, "name", mem, a[0], 250);
                Flags(info, "flags", a[1], LinuxFlagNames.Memfd(a[1]));
                return miss;
            }
            case "init_module": info.Set("base_address", Hex(a[0])).Set("module_size", Hex(a[1])); return Path(info, "module_args", mem, a[2], 256);
            case "finit_module": Fd(info, mem, task, a[0]); Flags(info, "flags", a[2], null); return Path(info, "module_args", mem, a[1], 256);
            case "nanosleep": case "clock_nanosleep": Timespec(info, mem, name == "nanosleep" ? a[0] : a[2]); return 0;
            default: return 0;
        }
    }

    /// <summary>Adds what only the EXIT knows (the child of a fork, the fd a successful open returned) and
    /// retries a path that was unreadable at ENTER.</summary>
    public void DecodeExit(string name, ulong ret, IVirtualMemory mem, ulong task, AdditionalInfo info)
    {
        var failed = (long)ret < 0 && (long)ret > -4096;
        switch (name)
        {
            case "clone": case "clone3": case "fork": case "vfork":
                if (!failed && ret != 0) info.Set("new_pid", Hex(ret));
                break;
            case "open": case "openat": case "openat2": case "creat": case "memfd_create": case "socket":
                if (!failed)
                {
                    info.Set("out_handle", Hex(ret));
                    if (tasks.FdPath(mem, task, (long)ret) is { } p) info.Set("fd_path", p);
                }
                break;
            case "rename": case "renameat": case "renameat2": case "unlink": case "unlinkat": case "rmdir":
                tasks.ForgetPaths();
                break;
            case "execve": case "execveat":
                // Strings the parent's copy-on-write pages did not map at ENTER are gone by EXIT (the image is
                // replaced); the new image's own command line and executable say what ran.
                if (!failed && (info["path"]?.StartsWith("<unreadable@", StringComparison.Ordinal) == true
                    || info.TryGet("argv", out var av) && av.Text.Contains("<unreadable@", StringComparison.Ordinal)))
                {
                    var (argv, exe) = tasks.Image(mem, task);
                    if (exe is not null) info.Set("path", exe);
                    if (argv is not null)
                    {
                        var json = new StringBuilder("[");
                        for (var i = 0; i < argv.Count; i++) { if (i > 0) json.Append(','); GuestReads.AppendJsonString(json, argv[i]); }
                        info.SetJson("argv", json.Append(']').ToString());
                        info.Set("command_line", string.Join(' ', argv));
                    }
                    info.Set("argv_source", "new_image");
                }
                break;
        }
    }

    /// <summary>Reads again a path argument that was unmapped at ENTER (the kernel has faulted it in by EXIT).</summary>
    public static void RetryPath(AdditionalInfo info, IVirtualMemory mem)
    {
        for (var i = 0; i < info.Count; i++)
        {
            var (key, value) = info[i];
            if (value.IsJson || !value.Text.StartsWith("<unreadable@", StringComparison.Ordinal)) continue;
            var hex = value.Text.AsSpan(12, value.Text.Length - 13);
            if (ulong.TryParse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var addr) && GuestReads.CString(mem, addr) is { } s)
                info.Set(key, s);
        }
    }

    private static ulong Path(AdditionalInfo info, string key, IVirtualMemory mem, ulong addr, int max = GuestReads.MaxPath)
    {
        var s = GuestReads.CString(mem, addr, max);
        if (s is not null) { info.Set(key, s); return 0; }
        info.Set(key, addr == 0 ? "" : GuestReads.Unreadable(addr));
        return addr == 0 ? 0 : addr;
    }

    internal static ulong Flags(AdditionalInfo info, string key, ulong value, string? names)
    {
        info.Set(key, Hex(value));
        if (names is not null) info.Set(key + "_names", names);
        return 0;
    }

    private static ulong Mode(AdditionalInfo info, ulong mode)
    {
        info.Set("mode", Convert.ToString((long)(mode & 0xFFFF), 8));
        return 0;
    }

    private static ulong CreateMode(AdditionalInfo info, ulong flags, ulong mode) => (flags & 0x400040) != 0 ? Mode(info, mode) : 0; // O_CREAT or O_TMPFILE

    internal static void DirFd(AdditionalInfo info, ulong fd)
    {
        if ((long)(int)fd != AtFdCwd) info.Set("dirfd", Hex((ulong)(uint)fd));
    }

    private void Fd(AdditionalInfo info, IVirtualMemory mem, ulong task, ulong fd)
    {
        info.Set("fd", Hex((ulong)(uint)fd));
        if (tasks.FdPath(mem, task, (int)fd) is { } p) info.Set("fd_path", p);
    }

    /// <summary>path and argv of an exec; <paramref name="pointerSize"/> is 4 for a 32-bit (int 0x80) caller's argv array.</summary>
    internal static ulong Exec(AdditionalInfo info, IVirtualMemory mem, ulong path, ulong argv, int pointerSize = 8)
    {
        var miss = Path(info, "path", mem, path);
        var json = new StringBuilder("[");
        var line = new StringBuilder();
        Span<byte> ptrs = stackalloc byte[8 * 32];
        var n = argv == 0 ? 0 : mem.Read(argv, ptrs[..(pointerSize * 32)]) / pointerSize;
        for (var i = 0; i < n; i++)
        {
            var p = pointerSize == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(ptrs[(i * 4)..]) : BinaryPrimitives.ReadUInt64LittleEndian(ptrs[(i * 8)..]);
            if (p == 0) break;
            var arg = GuestReads.CString(mem, p, 256) ?? GuestReads.Unreadable(p);
            if (i > 0) { json.Append(','); line.Append(' '); }
            GuestReads.AppendJsonString(json, arg);
            line.Append(arg);
        }
        json.Append(']');
        info.SetJson("argv", json.ToString());
        info.Set("command_line", line.ToString());
        return miss;
    }

    /// <summary>The remote iovec array of process_vm_readv/writev: {base, len} of 8-byte fields, or of 4-byte
    /// fields (struct compat_iovec) for a 32-bit caller (<paramref name="field"/> = 4).</summary>
    internal static void ProcessVm(AdditionalInfo info, IVirtualMemory mem, ReadOnlySpan<ulong> a, int field = 8)
    {
        info.Set("target_pid", Hex((ulong)(uint)a[0]));
        var size = 2 * field;
        Span<byte> iov = stackalloc byte[16 * 8];
        var count = (int)Math.Min(a[4], 8UL);
        var got = count == 0 ? 0 : mem.Read(a[3], iov[..(count * size)]) / size;
        if (got == 0) { if (count > 0) info.Set("base_address", GuestReads.Unreadable(a[3])); return; }
        ulong total = 0;
        for (var i = 0; i < got; i++) total += (ulong)Field(iov, i * size + field, field, signed: false);
        info.Set("base_address", Hex((ulong)Field(iov, 0, field, signed: false))).Set("size", Hex(total));
    }

    /// <summary>A sleep's duration: struct __kernel_timespec (two s64), or old_timespec32 (two s32,
    /// <paramref name="field"/> = 4) for the time32 calls of a 32-bit caller.</summary>
    internal static void Timespec(AdditionalInfo info, IVirtualMemory mem, ulong ts, int field = 8)
    {
        Span<byte> b = stackalloc byte[16];
        if (mem.Read(ts, b[..(2 * field)]) != 2 * field) return;
        info.Set("seconds", Dec(Field(b, 0, field, signed: true))).Set("nanoseconds", Dec(Field(b, field, field, signed: true)));
    }

    /// <summary>A little-endian 4- or 8-byte field (a 32-bit caller's structures use 4).</summary>
    private static long Field(ReadOnlySpan<byte> b, int at, int size, bool signed) =>
        size == 4 ? signed ? BinaryPrimitives.ReadInt32LittleEndian(b[at..]) : BinaryPrimitives.ReadUInt32LittleEndian(b[at..])
            : BinaryPrimitives.ReadInt64LittleEndian(b[at..]);

    private static void SockAddr(AdditionalInfo info, IVirtualMemory mem, ulong addr, ulong len, string key)
    {
        Span<byte> sa = stackalloc byte[110];
        var want = (int)Math.Min(len, 110UL);
        if (want < 2 || mem.Read(addr, sa[..want]) != want) { info.Set(key, GuestReads.Unreadable(addr)); return; }
        var family = BinaryPrimitives.ReadUInt16LittleEndian(sa);
        info.Set("family", LinuxFlagNames.Family(family));
        switch (family)
        {
            case 2 when want >= 8:
                info.Set(key, $"{sa[4]}.{sa[5]}.{sa[6]}.{sa[7]}:{BinaryPrimitives.ReadUInt16BigEndian(sa[2..])}");
                break;
            case 10 when want >= 24:
                info.Set(key, $"[{new System.Net.IPAddress(sa.Slice(8, 16))}]:{BinaryPrimitives.ReadUInt16BigEndian(sa[2..])}");
                break;
            case 1:
                var path = sa[2..want];
                var abstractName = path.Length > 0 && path[0] == 0;
                if (abstractName) path = path[1..];
                var end = path.IndexOf((byte)0);
                var text = Encoding.UTF8.GetString(end < 0 ? path : path[..end]);
                info.Set(key, abstractName ? "@" + text : text);
                break;
        }
    }

    private static string Hex(ulong v) => v.ToString("x", CultureInfo.InvariantCulture);

    private static string Dec(long v) => v.ToString(CultureInfo.InvariantCulture);
}
