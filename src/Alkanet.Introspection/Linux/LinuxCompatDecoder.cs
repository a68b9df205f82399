using System.Buffers.Binary;
using Alkanet.Core.Records;
using Alkanet.Introspection.Memory;

namespace Alkanet.Introspection.Linux;

/// <summary>
/// Decodes 32-bit system calls (int 0x80, also from 64-bit processes) into the same <c>additional_info</c> keys as
/// the 64-bit ones. Arguments are the i386 registers (ebx, ecx, edx, esi, edi, ebp, zero-extended by the tracer);
/// pointers are 32-bit. Where the i386 ABI has calls of its own they are translated here: socketcall's multiplexed
/// u32 argument array (the record is named after the sub-call, with <c>via=socketcall</c>), old_mmap's argument
/// struct, mmap2, 16-bit uid calls, the <c>*32</c> uid calls, clock_nanosleep_time64. Every call then runs the same
/// <see cref="LinuxCallSpecs"/> entry as on x86-64, with the compat layouts (<see cref="LinuxCallContext.Compat"/>:
/// argv arrays of u32 pointers, struct compat_iovec, old_timespec32).
/// </summary>
public sealed class LinuxCompatDecoder(LinuxSyscallDecoder decoder)
{
    /// <summary>socketcall sub-calls (SYS_SOCKET = 1 ...) and how many u32 arguments each takes: facts from the
    /// kernel's include/uapi/linux/net.h and the nargs[] table of net/socket.c (GPL-2.0 WITH Linux-syscall-note).</summary>
    private static readonly (string Name, int Args)[] SocketCalls =
    [
        ("", 0), ("socket", 3), ("bind", 3), ("connect", 3), ("listen", 2), ("accept", 3), ("getsockname", 3), ("getpeername", 3),
        ("socketpair", 4), ("send", 4), ("recv", 4), ("sendto", 6), ("recvfrom", 6), ("shutdown", 2), ("setsockopt", 5),
        ("getsockopt", 5), ("sendmsg", 3), ("recvmsg", 3), ("accept4", 4), ("recvmmsg", 5), ("sendmmsg", 4),
    ];

    /// <summary>The i386 calls decoded here (besides those <see cref="LinuxDecodedCalls"/> names).</summary>
    public static readonly IReadOnlySet<string> CompatOnlyCalls = new HashSet<string>(StringComparer.Ordinal)
    {
        "socketcall", "mmap2", "setuid32", "setgid32", "setfsuid32", "setfsgid32", "setreuid32", "setregid32", "setresuid32",
        "setresgid32", "clock_nanosleep_time64",
    };

    /// <summary>Fills <paramref name="info"/> for the ENTER of i386 call <paramref name="name"/> and returns the name
    /// to log: the table's, or for socketcall the sub-call's (<c>connect</c>, <c>socket</c> ...).</summary>
    public string DecodeEnter(string name, ReadOnlySpan<ulong> args, IVirtualMemory mem, ulong task, AdditionalInfo info, bool inScope = true)
    {
        Span<ulong> a = stackalloc ulong[6]; // a copy: the record keeps the raw registers
        args[..Math.Min(args.Length, 6)].CopyTo(a);
        switch (name)
        {
            case "socketcall": return Socketcall(a, mem, task, info);
            case "mmap": // old_mmap: one pointer to struct mmap_arg_struct32 {addr, len, prot, flags, fd, offset}, all u32
            {
                Span<byte> s = stackalloc byte[24];
                if (mem.Read(a[0], s) != 24) { info.Set("args", InfoValue.Unreadable(a[0])); return name; }
                Span<ulong> m = stackalloc ulong[6];
                for (var i = 0; i < 6; i++) m[i] = BinaryPrimitives.ReadUInt32LittleEndian(s[(i * 4)..]);
                m[4] = SignExtend(m[4]);
                decoder.DecodeEnter("mmap", m, mem, task, info, compat: true);
                return name;
            }
            case "mmap2": // the offset (a[5]) is in pages; the keys are mmap's
                a[4] = SignExtend(a[4]);
                decoder.DecodeEnter("mmap", a, mem, task, info, compat: true);
                return name;
            case "setuid": case "setgid": case "setfsuid": case "setfsgid": case "setreuid": case "setregid": case "setresuid": case "setresgid":
                // the i386 calls of these names take 16-bit ids (old_uid_t); 0xffff means "unchanged" (-1)
                for (var i = 0; i < 3; i++) a[i] = (a[i] & 0xFFFF) == 0xFFFF ? 0xFFFFFFFF : a[i] & 0xFFFF;
                decoder.DecodeEnter(name, a, mem, task, info, compat: true);
                return name;
            case "setuid32": case "setgid32": case "setfsuid32": case "setfsgid32": case "setreuid32": case "setregid32": case "setresuid32": case
                "setresgid32":
                decoder.DecodeEnter(name[..^2], a, mem, task, info, compat: true);
                return name;
            // nanosleep and clock_nanosleep are the time32 calls (old_timespec32, as compat selects); the time64 one is
            // clock_nanosleep with a 64-bit timespec
            case "clock_nanosleep_time64": decoder.DecodeEnter("clock_nanosleep", a, mem, task, info); return name;
            default:
                // the same spec as the 64-bit call: 32-bit pointers in argv, struct compat_iovec, old_timespec32
                decoder.DecodeEnter(name, a, mem, task, info, compat: true, inScope: inScope);
                return name;
        }
    }

    /// <summary>socketcall(call, args): <c>args</c> points to <c>nargs[call]</c> u32 values, the sub-call's arguments.</summary>
    private string Socketcall(Span<ulong> a, IVirtualMemory mem, ulong task, AdditionalInfo info)
    {
        var call = a[0];
        if (call == 0 || call >= (ulong)SocketCalls.Length)
        {
            info.Set("socketcall", call.ToString("x", System.Globalization.CultureInfo.InvariantCulture));
            return "socketcall";
        }
        var (sub, count) = SocketCalls[call];
        info.Set("via", "socketcall");
        Span<byte> raw = stackalloc byte[6 * 4];
        if (mem.Read(a[1], raw[..(count * 4)]) != count * 4)
        {
            info.Set("args", InfoValue.Unreadable(a[1]));
            return sub;
        }
        Span<ulong> s = stackalloc ulong[6];
        for (var i = 0; i < count; i++) s[i] = BinaryPrimitives.ReadUInt32LittleEndian(raw[(i * 4)..]);
        decoder.DecodeEnter(sub == "send" ? "sendto" : sub, s, mem, task, info, compat: true); // send = sendto without an address
        return sub;
    }

    private static ulong SignExtend(ulong v) => (ulong)(long)(int)(uint)v;
}
