using Alkanet.Introspection.Hooks;
using System.Buffers.Binary;
using System.Text;
using Alkanet.Core.Records;
using Alkanet.Introspection.Cpu;
using Alkanet.Introspection.Linux;
using Alkanet.Introspection.Memory;

namespace Alkanet.Introspection.TestKit;

/// <summary>A synthetic guest for the Linux tracer: sparse virtual memory (4 KiB pages, absent = unmapped) and
/// a profile whose offsets are test data (chosen here, not copied from a kernel).</summary>
public sealed class SyntheticLinuxGuest : IVirtualMemory
{
    private readonly Dictionary<ulong, byte[]> _pages = [];

    public const ulong GsBase = 0xffff888000100000;
    public const ulong CurrentTask = 0x1fb80;
    public const ulong Regs = 0xffffc90000010f58;
    public const ulong Regs2 = 0xffffc90000020f58;
    public const ulong Task1 = 0xffff888001000000;
    public const ulong Task2 = 0xffff888002000000;

    /// <summary>The registers a hook hands the tracer at a site: pt_regs in RDI, the number in RSI.</summary>
    public static VcpuState Vcpu(ulong nr, int index = 0, ulong regs = Regs) => new()
    {
        CpuIndex = index, Rdi = regs, Rsi = nr, GsBase = GsBase, Known = KnownRegisters.General,
    };

    /// <summary>300 hostile guests: random bytes over the task, the regs and the low user pages that argument
    /// pointers (from <paramref name="arg"/>) hit, some of them pointing back into those pages (argv arrays,
    /// iovecs, socketcall's array), a random current task now and then; each of <paramref name="numbers"/> is
    /// entered (64-bit or int 0x80) and returns. Only a throw fails.</summary>
    public static void HostileRounds(int seed, bool ia32, ulong[] numbers, Func<Random, ulong> arg)
    {
        var profile = Profile();
        var rng = new Random(seed);
        var r = new SyscallRecord();
        for (var round = 0; round < 300; round++)
        {
            var g = new SyntheticLinuxGuest();
            var tracer = new LinuxSyscallTracer(profile);
            var noise = new byte[4096];
            foreach (var page in new ulong[] { Task1, Task1 + 0x1000, Regs & ~0xFFFUL, GsBase + 0x1f000, 0x400000, 0x401000 })
            {
                rng.NextBytes(noise);
                g.Write(page, noise);
            }
            g.U64(GsBase + CurrentTask, rng.Next(4) == 0 ? (ulong)rng.NextInt64() : Task1);
            foreach (var nr in numbers)
            {
                var args = new ulong[6];
                for (var i = 0; i < 6; i++) args[i] = arg(rng);
                if (ia32) g.PtRegs32(nr, args); else g.PtRegs(nr, args);
                BinaryPrimitives.WriteUInt32LittleEndian(noise, 0x400000 + (uint)rng.Next(8192));
                g.Write(0x400000 + (ulong)rng.Next(4000), noise.AsSpan(0, 4));
                var cpu = Vcpu(nr, rng.Next(3));
                if (rng.Next(8) == 0) cpu.Rdi = (ulong)rng.NextInt64();
                tracer.OnEnter(ia32, cpu, g, r);
                g.Return((ulong)rng.NextInt64());
                tracer.OnExit(cpu, g, r);
            }
        }
    }

    /// <summary>Where <see cref="PtRegs"/> and <see cref="Return"/> write: each task's pt_regs sits on its own kernel stack.</summary>
    public ulong CurrentRegs { get; set; } = Regs;

    public static LinuxProfile Profile()
    {
        var p = new LinuxProfile { KernelRelease = "synthetic", CurrentTaskPercpu = CurrentTask };
        var offsets = new Dictionary<string, int>
        {
            ["pt_regs.di"] = 112, ["pt_regs.si"] = 104, ["pt_regs.dx"] = 96, ["pt_regs.r10"] = 56, ["pt_regs.r8"] = 72, ["pt_regs.r9"] = 64,
            ["pt_regs.ax"] = 80, ["pt_regs.orig_ax"] = 120, ["pt_regs.bx"] = 40, ["pt_regs.cx"] = 88, ["pt_regs.bp"] = 32, ["task_struct.pid"] = 0x100, ["task_struct.tgid"] = 0x104, ["task_struct.comm"] = 0x200,
            ["task_struct.real_parent"] = 0x110, ["task_struct.mm"] = 0x120, ["task_struct.files"] = 0x128, ["files_struct.fdt"] = 0x20,
            ["fdtable.max_fds"] = 0, ["fdtable.fd"] = 8, ["file.f_path"] = 0x10, ["path.mnt"] = 0, ["path.dentry"] = 8, ["dentry.d_parent"] = 0x18,
            ["dentry.d_name"] = 0x20, ["qstr.len"] = 4, ["qstr.name"] = 8, ["mount.mnt"] = 0x20, ["mount.mnt_parent"] = 0x10,
            ["mount.mnt_mountpoint"] = 0x18, ["mm_struct.arg_start"] = 0x40, ["mm_struct.arg_end"] = 0x48, ["mm_struct.exe_file"] = 0x50,
            ["dentry.d_sb"] = 0x68, ["super_block.s_type"] = 0x28, ["file_system_type.name"] = 0, ["clone_args.flags"] = 0,
            ["open_how.flags"] = 0, ["open_how.mode"] = 8, ["task_struct.thread_info"] = 0, ["thread_info.status"] = 0x18,
            ["file.private_data"] = 0xc8, ["socket.file"] = 0x10, ["socket.sk"] = 0x18, ["sock.__sk_common"] = 0,
            ["sock_common.skc_family"] = 0x10, ["sock_common.skc_num"] = 0x0e, ["sock_common.skc_rcv_saddr"] = 4,
        };
        foreach (var kv in offsets) p.Offsets[kv.Key] = kv.Value;
        p.Sizes["pt_regs"] = 168;
        p.Sizes["task_struct"] = 0x400;
        var names = new string?[336];
        names[0] = "read"; names[1] = "write"; names[3] = "close"; names[56] = "clone"; names[59] = "execve"; names[101] = "ptrace";
        names[231] = "exit_group"; names[257] = "openat"; names[42] = "connect"; names[87] = "unlink"; names[157] = "prctl";
        p.Syscalls64 = new LinuxSyscallTable(names);
        p.Syscalls32 = LinuxI386Table.Embedded.ToTable();
        p.Sites.Add(new LinuxLinkSite(SiteKind.Enter, "x64_sys_call", 0xffffffff81003320, [0x81, 0xfe, 0xb0, 0, 0, 0, 0x0f, 0x84, 0x43, 0x0c, 0, 0]));
        p.Sites.Add(new LinuxLinkSite(SiteKind.Exit, "syscall_exit_to_user_mode_prepare", 0xffffffff81146800, [0x55, 0x48, 0x89, 0xfd, 0x53, 0x65, 0x48, 0x8b, 0x04, 0x25, 0x80, 0xfb]));
        return p;
    }

    public int Read(ulong virtualAddress, Span<byte> destination)
    {
        var done = 0;
        while (done < destination.Length)
        {
            var va = virtualAddress + (ulong)done;
            if (!_pages.TryGetValue(va & ~0xFFFUL, out var page)) break;
            var off = (int)(va & 0xFFF);
            var n = Math.Min(4096 - off, destination.Length - done);
            page.AsSpan(off, n).CopyTo(destination[done..]);
            done += n;
        }
        return done;
    }

    public void Write(ulong va, ReadOnlySpan<byte> data)
    {
        for (var i = 0; i < data.Length; i++)
        {
            var a = va + (ulong)i;
            if (!_pages.TryGetValue(a & ~0xFFFUL, out var page)) _pages[a & ~0xFFFUL] = page = new byte[4096];
            page[a & 0xFFF] = data[i];
        }
    }

    public void U64(ulong va, ulong v) { Span<byte> b = stackalloc byte[8]; BinaryPrimitives.WriteUInt64LittleEndian(b, v); Write(va, b); }

    public void U32(ulong va, uint v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, v); Write(va, b); }

    public void Str(ulong va, string s) { Write(va, Encoding.UTF8.GetBytes(s + "\0")); }

    public void Unmap(ulong va) => _pages.Remove(va & ~0xFFFUL);

    /// <summary>Makes <paramref name="task"/> current on the vCPU with per-cpu base <see cref="GsBase"/>.</summary>
    public void Task(ulong task, uint pid, uint tgid, string comm, ulong parent = 0)
    {
        U64(GsBase + CurrentTask, task);
        U32(task + 0x100, pid);
        U32(task + 0x104, tgid);
        Write(task + 0x200, Encoding.ASCII.GetBytes(comm.PadRight(16, '\0')[..16]));
        U64(task + 0x110, parent);
    }

    /// <summary>Writes a pt_regs with the user's argument registers.</summary>
    public void PtRegs(ulong nr, params ulong[] args)
    {
        var offs = new[] { 112, 104, 96, 56, 72, 64 };
        for (var i = 0; i < 6; i++) U64(CurrentRegs + (ulong)offs[i], i < args.Length ? args[i] : 0);
        U64(CurrentRegs + 120, nr);
    }

    public void Return(ulong value) => U64(CurrentRegs + 80, value);

    /// <summary>Writes a pt_regs for an int 0x80 call: the i386 argument registers ebx, ecx, edx, esi, edi, ebp.</summary>
    public void PtRegs32(ulong nr, params ulong[] args)
    {
        var offs = new[] { 40, 88, 96, 104, 112, 32 };
        for (var i = 0; i < 6; i++) U64(CurrentRegs + (ulong)offs[i], i < args.Length ? args[i] : 0);
        U64(CurrentRegs + 120, nr);
    }
}
