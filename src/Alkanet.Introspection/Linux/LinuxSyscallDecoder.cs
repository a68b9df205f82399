using System.Globalization;
using Alkanet.Core.Json;
using Alkanet.Core.Records;
using Alkanet.Introspection.Hooks;
using Alkanet.Introspection.Memory;

namespace Alkanet.Introspection.Linux;

/// <summary>Decodes the arguments (ENTER) and results (EXIT) of the calls analysts look for, into the
/// <c>additional_info</c> vocabulary of docs/RECORD.md. Arguments come from the saved user registers
/// (pt_regs: di, si, dx, r10, r8, r9); what each call logs is its <see cref="LinuxCallSpecs"/> entry, which names
/// the arguments as <see cref="LinuxDecodedCalls"/> does.</summary>
public sealed class LinuxSyscallDecoder
{
    private readonly LinuxProfile _profile;

    public LinuxSyscallDecoder(LinuxTaskReader tasks, LinuxProfile profile)
    {
        Tasks = tasks;
        _profile = profile;
        // The BTF offsets the specs read structures by: a profile without them fails here, not on a guest's call.
        foreach (var field in new[] { "open_how.flags", "open_how.mode", "clone_args.flags" }) profile.Offset(field);
    }

    internal LinuxTaskReader Tasks { get; }

    /// <summary>True: the ENTER of write, pwrite64, writev and pwritev(2) carries the caller's buffer (up to
    /// <see cref="CaptureCallBytes"/>) as <c>data</c> (base64), from which the host rebuilds dropped files. Off by
    /// default: it costs a guest read per write.</summary>
    public bool CaptureWrites { get; set; }

    /// <summary>The per-call cap of <see cref="CaptureWrites"/> (the plugin's <c>capture_call=BYTES</c>): a record carrying
    /// more than one ring slot holds is spilled over consecutive slots (TraceRing), so nothing is cut below this.</summary>
    public int CaptureCallBytes { get; set; } = CaptureSettings.DefaultCallBytes;

    internal int Offset(string structDotMember) => _profile.Offset(structDotMember);

    /// <summary>Fills <paramref name="info"/> for the ENTER of <paramref name="name"/> (nothing for a call without a
    /// spec). <paramref name="compat"/>: a 32-bit caller's arguments (4-byte pointers in its structures).</summary>
    public void DecodeEnter(string name, ReadOnlySpan<ulong> a, IVirtualMemory mem, ulong task, AdditionalInfo info, bool compat = false,
        bool inScope = true)
    {
        if (!LinuxCallSpecs.All.TryGetValue(name, out var spec)) return;
        spec.Enter(new LinuxCallContext(this, spec.Arguments, a, mem, task, info, compat, inScope));
    }

    /// <summary>Adds what only the EXIT knows (the child of a fork, the fd a successful open returned) and, for an
    /// exec whose strings were unreadable at ENTER, what the new image says ran.</summary>
    /// <param name="arg0">The call's first argument as its ENTER read it (<see cref="ulong.MaxValue"/>: unknown); the socket's
    /// fd of connect/bind/sendto/sendmsg, whose local end (<c>local_port</c>, <c>local_address</c>) only the EXIT knows.</param>
    public void DecodeExit(string name, ulong ret, IVirtualMemory mem, ulong task, AdditionalInfo info, ulong arg0 = ulong.MaxValue)
    {
        var failed = (long)ret < 0 && (long)ret >= -LinuxAbi.MaxErrno;
        switch (name)
        {
            case "connect": case "bind": case "sendto": case "sendmsg":
                // The kernel picks the port at connect (or at the first send of an unbound UDP socket): the flow's source
                // port, so the host joins a flow to this call by its 5-tuple (docs/NETWORK.md).
                if ((!failed || (long)ret == -LinuxAbi.EInProgress) && arg0 <= int.MaxValue
                    && Tasks.SocketLocal(mem, task, (long)arg0) is { Port: > 0 } local)
                {
                    info.Set("local_port", local.Port.ToString(CultureInfo.InvariantCulture));
                    if (local.Address is not null) info.Set("local_address", local.Address);
                }
                break;
            case "clone": case "clone3": case "fork": case "vfork":
                if (!failed && ret != 0) info.Set("new_pid", Hex(ret));
                break;
            case "open": case "openat": case "openat2": case "creat": case "memfd_create": case "socket":
                if (!failed)
                {
                    info.Set("out_handle", Hex(ret));
                    if (Tasks.FdPath(mem, task, (long)ret) is { } p) info.Set("fd_path", p);
                }
                break;
            case "rename": case "renameat": case "renameat2": case "unlink": case "unlinkat": case "rmdir":
                Tasks.ForgetPaths();
                break;
            case "execve": case "execveat":
                // Strings the parent's copy-on-write pages did not map at ENTER are gone by EXIT (the image is
                // replaced); the new image's own command line and executable say what ran.
                if (!failed && (info.TryGet("path", out var path) && path.IsUnreadable || info.TryGet("argv", out var av) && av.HasUnreadable))
                {
                    var (argv, exe) = Tasks.Image(mem, task);
                    if (exe is not null) info.Set("path", exe);
                    if (argv is not null)
                    {
                        info.Set("argv", RecordJsonWriter.StringArray(argv.Select(InfoValue.String).ToList()));
                        info.Set("command_line", string.Join(' ', argv));
                    }
                    info.Set("argv_source", "new_image");
                }
                break;
        }
    }

    /// <summary>Reads again the strings that were unmapped at ENTER (the kernel has faulted them in by EXIT).</summary>
    public static void RetryPath(AdditionalInfo info, IVirtualMemory mem)
    {
        for (var i = 0; i < info.Count; i++)
        {
            var (key, value) = info[i];
            if (value.IsUnreadable && mem.ReadCString(value.Address).Text is { } s) info.Set(key, s);
        }
    }

    private static string Hex(ulong v) => v.ToString("x", CultureInfo.InvariantCulture);
}
