using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text;
using Alkanet.Introspection.Memory;

namespace Alkanet.Introspection.Linux;

/// <summary>What the log says about the calling task: Linux pid (the log's tid), tgid (the log's pid), comm,
/// parent's tgid.</summary>
public struct LinuxTaskInfo
{
    public ulong Task;
    public ulong Pid;
    public ulong Tgid;
    public ulong ParentTgid;
    public string Comm;
    /// <summary>The run-scoped id of this process lifetime (the log's <c>proc_seq</c>); 0 when not assigned.</summary>
    public long ProcSeq;
}

/// <summary>Reads tasks and their open files through the profile's BTF offsets. Every read is bounded and may
/// fail (then the value is 0 or the unreadable form); nothing here throws for guest data.</summary>
internal static class NulSplit
{
    public static IEnumerable<string> Split0(this byte[] bytes)
    {
        var start = 0;
        for (var i = 0; i <= bytes.Length; i++)
        {
            if (i < bytes.Length && bytes[i] != 0) continue;
            yield return Encoding.UTF8.GetString(bytes, start, i - start);
            start = i + 1;
        }
    }
}

public sealed class LinuxTaskReader(LinuxProfile profile)
{
    private const int MaxDepth = 48;
    private readonly int _pid = profile.Offset("task_struct.pid");
    private readonly int _tgid = profile.Offset("task_struct.tgid");
    private readonly int _comm = profile.Offset("task_struct.comm");
    private readonly int _realParent = profile.Offset("task_struct.real_parent");
    private readonly int _files = profile.Offset("task_struct.files");
    private readonly int _fdt = profile.Offset("files_struct.fdt");
    private readonly int _maxFds = profile.Offset("fdtable.max_fds");
    private readonly int _fdArray = profile.Offset("fdtable.fd");
    private readonly int _fPathDentry = profile.Offset("file.f_path") + profile.Offset("path.dentry");
    private readonly int _fPathMnt = profile.Offset("file.f_path") + profile.Offset("path.mnt");
    private readonly int _dParent = profile.Offset("dentry.d_parent");
    private readonly int _dNameLen = profile.Offset("dentry.d_name") + profile.Offset("qstr.len");
    private readonly int _dNameName = profile.Offset("dentry.d_name") + profile.Offset("qstr.name");
    private readonly int _mountMnt = profile.Offset("mount.mnt");
    private readonly int _mountParent = profile.Offset("mount.mnt_parent");
    private readonly int _mountPoint = profile.Offset("mount.mnt_mountpoint");
    private readonly int _dSb = profile.Offset("dentry.d_sb");
    private readonly int _sType = profile.Offset("super_block.s_type");
    private readonly int _fsName = profile.Offset("file_system_type.name");
    private readonly int _fPrivate = profile.Offset("file.private_data");
    private readonly int _socketFile = profile.Offset("socket.file");
    private readonly int _socketSk = profile.Offset("socket.sk");
    private readonly int _skFamily = profile.Offset("sock.__sk_common") + profile.Offset("sock_common.skc_family");
    private readonly int _skNum = profile.Offset("sock.__sk_common") + profile.Offset("sock_common.skc_num");
    private readonly int _skRcvSaddr = profile.Offset("sock.__sk_common") + profile.Offset("sock_common.skc_rcv_saddr");
    private readonly int _mm = profile.Offset("task_struct.mm");
    private readonly int _argStart = profile.Offset("mm_struct.arg_start");
    private readonly int _argEnd = profile.Offset("mm_struct.arg_end");
    private readonly int _exeFile = profile.Offset("mm_struct.exe_file");
    private readonly ulong _currentTask = profile.CurrentTaskPercpu;
    private readonly ConcurrentDictionary<(ulong Dentry, ulong Mnt), string> _pathCache = new();

    /// <summary>The running task: <c>*(gs_base + current_task)</c> (gs_base is the kernel's per-cpu base in a hook).</summary>
    public ulong CurrentTask(IVirtualMemory mem, ulong gsBase) =>
        gsBase != 0 && mem.TryReadU64(gsBase + _currentTask, out var t) ? t : 0;

    public LinuxTaskInfo Read(IVirtualMemory mem, ulong task)
    {
        var info = new LinuxTaskInfo { Task = task, Comm = "" };
        if (task == 0) return info;
        Span<byte> ids = stackalloc byte[8];
        if (mem.Read(task + (ulong)_pid, ids) == 8)
        {
            info.Pid = BitConverter.ToUInt32(ids);
            info.Tgid = BitConverter.ToUInt32(ids[4..]);
        }
        info.Comm = Comm(mem, task);
        if (mem.TryReadU64(task + (ulong)_realParent, out var parent) && parent != 0
            && mem.TryReadU32(parent + (ulong)_tgid, out var ptgid))
            info.ParentTgid = ptgid;
        return info;
    }

    public string Comm(IVirtualMemory mem, ulong task)
    {
        Span<byte> comm = stackalloc byte[16];
        if (mem.Read(task + (ulong)_comm, comm) != 16) return "";
        var end = comm.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? comm : comm[..end]);
    }

    public ulong Tgid(IVirtualMemory mem, ulong task) => mem.TryReadU32(task + (ulong)_tgid, out var v) ? v : 0;

    /// <summary>The path of <paramref name="task"/>'s open file <paramref name="fd"/>, or null when the fd is not open
    /// or the structures cannot be read.</summary>
    public string? FdPath(IVirtualMemory mem, ulong task, long fd)
    {
        var file = FileOf(mem, task, fd);
        if (file == 0) return null;
        if (!mem.TryReadU64(file + (ulong)_fPathDentry, out var dentry) || dentry == 0) return null;
        if (!mem.TryReadU64(file + (ulong)_fPathMnt, out var mnt)) return null;
        return DentryPath(mem, dentry, mnt);
    }

    /// <summary>The struct file of <paramref name="task"/>'s fd <paramref name="fd"/>, or 0 when it is not open or unreadable.</summary>
    private ulong FileOf(IVirtualMemory mem, ulong task, long fd)
    {
        if (fd < 0 || task == 0) return 0;
        if (!mem.TryReadU64(task + (ulong)_files, out var files) || files == 0) return 0;
        if (!mem.TryReadU64(files + (ulong)_fdt, out var fdt) || fdt == 0) return 0;
        if (!mem.TryReadU32(fdt + (ulong)_maxFds, out var maxFds) || (ulong)fd >= maxFds) return 0;
        if (!mem.TryReadU64(fdt + (ulong)_fdArray, out var array) || array == 0) return 0;
        return mem.TryReadU64(array + (ulong)fd * 8, out var file) ? file : 0;
    }

    /// <summary>The local end of the IPv4/IPv6 socket open as <paramref name="fd"/> (struct sock's skc_num, host order, and
    /// for IPv4 skc_rcv_saddr, network order: include/net/sock.h), or port 0 when the fd is not an inet socket with a
    /// port. A socket is recognised by its back-pointer (socket->file == file), so another file's private_data is never
    /// taken for one.</summary>
    public (int Port, string? Address) SocketLocal(IVirtualMemory mem, ulong task, long fd)
    {
        var file = FileOf(mem, task, fd);
        if (file == 0 || !mem.TryReadU64(file + (ulong)_fPrivate, out var socket) || socket == 0) return (0, null);
        if (!mem.TryReadU64(socket + (ulong)_socketFile, out var back) || back != file) return (0, null);
        if (!mem.TryReadU64(socket + (ulong)_socketSk, out var sk) || sk == 0) return (0, null);
        Span<byte> two = stackalloc byte[2];
        if (mem.Read(sk + (ulong)_skFamily, two) != 2) return (0, null);
        var family = BinaryPrimitives.ReadUInt16LittleEndian(two);
        if (family is not (LinuxAbi.AfInet or LinuxAbi.AfInet6) || mem.Read(sk + (ulong)_skNum, two) != 2) return (0, null);
        var port = BinaryPrimitives.ReadUInt16LittleEndian(two);
        if (port == 0) return (0, null);
        Span<byte> ip = stackalloc byte[4];
        var address = family == LinuxAbi.AfInet && mem.Read(sk + (ulong)_skRcvSaddr, ip) == 4 ? $"{ip[0]}.{ip[1]}.{ip[2]}.{ip[3]}:{port}" : null;
        return (port, address);
    }

    /// <summary>The command line of <paramref name="task"/>'s current image (mm->arg_start..arg_end, as
    /// /proc/PID/cmdline shows it) and the path of its executable (mm->exe_file), after an execve.</summary>
    public (List<string>? Argv, string? Exe) Image(IVirtualMemory mem, ulong task)
    {
        if (task == 0 || !mem.TryReadU64(task + (ulong)_mm, out var mm) || mm == 0) return (null, null);
        List<string>? argv = null;
        if (mem.TryReadU64(mm + (ulong)_argStart, out var start) && mem.TryReadU64(mm + (ulong)_argEnd, out var end) && end > start)
        {
            var buf = new byte[(int)Math.Min(end - start, 4096UL)];
            var n = mem.Read(start, buf);
            if (n > 0)
            {
                argv = [];
                foreach (var part in buf.AsSpan(0, n).TrimEnd((byte)0).ToArray().Split0())
                    argv.Add(part);
            }
        }
        string? exe = null;
        if (mem.TryReadU64(mm + (ulong)_exeFile, out var file) && file != 0
            && mem.TryReadU64(file + (ulong)_fPathDentry, out var dentry) && dentry != 0
            && mem.TryReadU64(file + (ulong)_fPathMnt, out var mnt))
            exe = DentryPath(mem, dentry, mnt);
        return (argv, exe);
    }

    /// <summary>Forgets cached paths (a rename or unlink may have changed one).</summary>
    public void ForgetPaths() => _pathCache.Clear();

    private string DentryPath(IVirtualMemory mem, ulong dentry, ulong mnt)
    {
        if (_pathCache.TryGetValue((dentry, mnt), out var cached)) return cached;
        var parts = new List<string>(8);
        var d = dentry;
        var m = mnt;
        for (var depth = 0; depth < MaxDepth; depth++)
        {
            if (!mem.TryReadU64(d + (ulong)_dParent, out var parent) || parent == 0) break;
            if (parent == d)
            {
                // The root of this mount: continue from where it is mounted, unless it is the root mount.
                if (m == 0) break;
                var mount = m - (ulong)_mountMnt;
                if (!mem.TryReadU64(mount + (ulong)_mountParent, out var parentMount) || parentMount == mount || parentMount == 0) break;
                if (!mem.TryReadU64(mount + (ulong)_mountPoint, out var mountPoint) || mountPoint == 0) break;
                d = mountPoint;
                m = parentMount + (ulong)_mountMnt;
                continue;
            }
            parts.Add(DentryName(mem, d));
            d = parent;
        }
        var sb = new StringBuilder();
        if (parts.Count == 0 && FileSystemName(mem, dentry) is { } fs
            && fs is not ("rootfs" or "tmpfs" or "devtmpfs" or "proc" or "sysfs" or "ramfs"))
            return fs + ":"; // an internal mount (pipefs, sockfs, anon_inodefs): no path, say what it is
        for (var i = parts.Count - 1; i >= 0; i--) sb.Append('/').Append(parts[i]);
        var path = sb.Length == 0 ? "/" : sb.ToString();
        if (_pathCache.Count > 8192) _pathCache.Clear();
        _pathCache[(dentry, mnt)] = path;
        return path;
    }

    private string? FileSystemName(IVirtualMemory mem, ulong dentry)
    {
        if (!mem.TryReadU64(dentry + (ulong)_dSb, out var sb) || sb == 0) return null;
        if (!mem.TryReadU64(sb + (ulong)_sType, out var type) || type == 0) return null;
        return mem.TryReadU64(type + (ulong)_fsName, out var name) ? mem.ReadCString(name, 32).Text : null;
    }

    private string DentryName(IVirtualMemory mem, ulong dentry)
    {
        if (!mem.TryReadU32(dentry + (ulong)_dNameLen, out var len) || !mem.TryReadU64(dentry + (ulong)_dNameName, out var name))
            return "?";
        return mem.ReadCString(name, (int)Math.Min(len + 1, 256u)).Text ?? "?";
    }
}
