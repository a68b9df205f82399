using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Alkanet.Core.Json;
using Alkanet.Core.Records;
using Alkanet.Introspection.Memory;

namespace Alkanet.Introspection.Linux;

/// <summary>
/// One call being decoded: its arguments by name (<see cref="LinuxDecodedCalls"/>), the caller's memory and task,
/// and the record's <c>additional_info</c> to fill. The helpers read guest memory through the bounded
/// <see cref="GuestReader"/>; a failed read becomes an unreadable value with its address, never an exception.
/// <see cref="Compat"/> selects the i386 layouts: 4-byte pointers in an argv, struct compat_iovec, old_timespec32.
/// </summary>
public readonly ref struct LinuxCallContext(LinuxSyscallDecoder decoder, string[] names, ReadOnlySpan<ulong> args, IVirtualMemory mem,
    ulong task, AdditionalInfo info, bool compat, bool inScope = true)
{
    [ThreadStatic] private static byte[]? t_capture;

    /// <summary>Write capture is on and the caller is in its scope (<see cref="LinuxCaptureScope"/>).</summary>
    private bool Capturing => inScope && decoder.CaptureWrites;

    private static Span<byte> CaptureBuffer(int size)
    {
        if (t_capture is null || t_capture.Length < size) t_capture = new byte[Math.Max(size, 4096)];
        return t_capture.AsSpan(0, size);
    }

    private readonly ReadOnlySpan<ulong> _args = args;

    public IVirtualMemory Memory { get; } = mem;

    public ulong Task { get; } = task;

    public AdditionalInfo Info { get; } = info;

    /// <summary>A 32-bit (int 0x80) caller: its structures have 4-byte pointers and longs.</summary>
    public bool Compat { get; } = compat;

    private int Field => Compat ? 4 : 8;

    /// <summary>The argument named <paramref name="name"/> (a name of the call's <see cref="LinuxDecodedCalls"/> entry).</summary>
    public ulong Arg(string name)
    {
        var i = Array.IndexOf(names, name);
        if (i < 0) throw new ArgumentException($"the call has no argument '{name}' in LinuxDecodedCalls", nameof(name));
        return i < _args.Length ? _args[i] : 0;
    }

    /// <summary>A 32-bit argument (an int, a pid_t, a uid_t): the register's low half.</summary>
    public ulong Arg32(string name) => (uint)Arg(name);

    public void Hex(string key, ulong value) => Info.Set(key, value.ToString("x", CultureInfo.InvariantCulture));

    public void Dec(string key, long value) => Info.Set(key, value.ToString(CultureInfo.InvariantCulture));

    public void Text(string key, string value) => Info.Set(key, value);

    /// <summary>A flag word in hex, and its names when the call has a table for them.</summary>
    public void Flags(string key, ulong value, Func<ulong, string>? names = null)
    {
        Hex(key, value);
        if (names is not null) Info.Set(key + "_names", names(value));
    }

    /// <summary>A file mode (permission bits and type), in octal as ls and chmod show it.</summary>
    public void Mode(ulong mode) => Info.Set("mode", Convert.ToString((long)(mode & 0xFFFF), 8));

    /// <summary>The mode of an open, which the kernel reads only when creating (O_CREAT or O_TMPFILE).</summary>
    public void CreateMode(ulong flags, ulong mode)
    {
        if ((flags & (LinuxAbi.OCreat | LinuxAbi.OTmpfileBit)) != 0) Mode(mode);
    }

    /// <summary>A directory fd argument; AT_FDCWD (the usual case) is left out.</summary>
    public void DirFd(string slot)
    {
        var fd = Arg(slot);
        if ((long)(int)fd != LinuxAbi.AtFdCwd) Hex("dirfd", (uint)fd);
    }

    /// <summary>An fd argument and the path of the file it names (from the task's fd table).</summary>
    public void Fd(string slot) => FdValue(Arg(slot));

    public void FdValue(ulong fd)
    {
        Hex("fd", (uint)fd);
        if (decoder.Tasks.FdPath(Memory, Task, (int)fd) is { } p) Info.Set("fd_path", p);
    }

    /// <summary>A string argument: its text (a string cut by an unmapped page keeps its readable part), "" for a
    /// null pointer, or the unreadable value at its address.</summary>
    public void Path(string key, string slot, int maxBytes = GuestReader.MaxPathBytes) => Info.Set(key, ReadString(Arg(slot), maxBytes));

    private InfoValue ReadString(ulong address, int maxBytes)
    {
        if (address == 0) return InfoValue.String("");
        var s = Memory.ReadCString(address, maxBytes);
        return s.Text is { } text ? InfoValue.String(text) : InfoValue.Unreadable(address);
    }

    /// <summary>A u64 field of a structure the caller passed by pointer (open_how, clone_args).</summary>
    public bool TryStructU64(string slot, int offset, out ulong value) => Memory.TryReadU64(Arg(slot) + (ulong)offset, out value);

    /// <summary>The offset of <paramref name="field"/> in the kernel's BTF (struct.member).</summary>
    public int Offset(string field) => decoder.Offset(field);

    /// <summary>The unreadable value for the structure at the argument <paramref name="slot"/>.</summary>
    public void Unreadable(string key, string slot) => Info.Set(key, InfoValue.Unreadable(Arg(slot)));

    /// <summary>An exec's path, argv (a JSON array) and command line (argv joined by spaces).</summary>
    public void Exec(string pathSlot, string argvSlot)
    {
        Path("path", pathSlot);
        var argv = Arg(argvSlot);
        var pointer = Field;
        Span<byte> ptrs = stackalloc byte[8 * LinuxReadBounds.ArgvEntries];
        var n = argv == 0 ? 0 : Memory.Read(argv, ptrs[..(pointer * LinuxReadBounds.ArgvEntries)]) / pointer;
        var items = new List<InfoValue>(n);
        for (var i = 0; i < n; i++)
        {
            var p = (ulong)ReadField(ptrs, i * pointer, pointer, signed: false);
            if (p == 0) break;
            var s = Memory.ReadCString(p, LinuxReadBounds.ArgvEntryBytes);
            items.Add(s.Text is { } text ? InfoValue.String(text) : InfoValue.Unreadable(p));
        }
        Info.Set("argv", RecordJsonWriter.StringArray(items));
        Info.Set("command_line", string.Join(' ', items));
    }

    /// <summary>An array of struct iovec {base, len} (compat_iovec for a 32-bit caller): the first base and the
    /// total length, summed over at most <see cref="LinuxReadBounds.Iovecs"/> entries. Returns false (and sets
    /// <paramref name="baseKey"/> to the unreadable value) when none could be read.</summary>
    public bool Iovecs(string vecSlot, string countSlot, string? baseKey, string sizeKey)
    {
        var vec = Arg(vecSlot);
        var count = (int)Math.Min(Arg(countSlot), (ulong)LinuxReadBounds.Iovecs);
        if (count == 0) return false;
        var size = 2 * Field;
        Span<byte> iov = stackalloc byte[16 * LinuxReadBounds.Iovecs];
        var got = Memory.Read(vec, iov[..(count * size)]) / size;
        if (got == 0)
        {
            Info.Set(baseKey ?? sizeKey, InfoValue.Unreadable(vec));
            return false;
        }
        ulong total = 0;
        for (var i = 0; i < got; i++) total += (ulong)ReadField(iov, i * size + Field, Field, signed: false);
        if (baseKey is not null) Hex(baseKey, (ulong)ReadField(iov, 0, Field, signed: false));
        Hex(sizeKey, total);
        return true;
    }

    /// <summary>With <see cref="LinuxSyscallDecoder.CaptureWrites"/>, for a caller in scope: the bytes of a write's buffer as
    /// <c>data</c> (base64), up to <see cref="LinuxSyscallDecoder.CaptureCallBytes"/>, or the unreadable value at the buffer
    /// when none could be read; where the read stopped early (an unmapped page) <c>data_unread</c> is that address.
    /// A positional write's file offset is <c>offset</c> (<paramref name="posSlot"/>), so the host places the bytes.</summary>
    public void WriteData(string bufSlot, string countSlot, string? posSlot = null)
    {
        if (!Capturing) return;
        if (posSlot is not null) Hex("offset", Arg(posSlot));
        var buf = Arg(bufSlot);
        var want = (int)Math.Min(Arg(countSlot), (ulong)decoder.CaptureCallBytes);
        if (want == 0) return;
        var data = CaptureBuffer(want);
        var got = Memory.Read(buf, data);
        Info.Set("data", got > 0 ? InfoValue.String(Convert.ToBase64String(data[..got])) : InfoValue.Unreadable(buf));
        if (got > 0 && got < want) Hex("data_unread", buf + (ulong)got);
    }

    /// <summary>The same for writev, pwritev* and process_vm_writev (its local iovecs: the bytes written into the other
    /// process): the iovecs' bytes in order, up to the same bound; a buffer that cannot be read ends the capture there
    /// (<c>data_unread</c>: its address; the host sees fewer bytes than written and marks the gap).</summary>
    public void WriteIovecData(string vecSlot, string countSlot, string? posSlot)
    {
        if (!Capturing) return;
        if (posSlot is not null) Hex("offset", Arg(posSlot));
        var vec = Arg(vecSlot);
        var count = (int)Math.Min(Arg(countSlot), (ulong)LinuxReadBounds.Iovecs);
        var size = 2 * Field;
        Span<byte> iov = stackalloc byte[16 * LinuxReadBounds.Iovecs];
        var entries = count == 0 ? 0 : Memory.Read(vec, iov[..(count * size)]) / size;
        ulong total = 0;
        for (var i = 0; i < entries; i++) total += (ulong)ReadField(iov, i * size + Field, Field, signed: false);
        var data = CaptureBuffer((int)Math.Min(total, (ulong)decoder.CaptureCallBytes));
        var got = 0;
        for (var i = 0; i < entries && got < data.Length; i++)
        {
            var b = (ulong)ReadField(iov, i * size, Field, signed: false);
            var len = (int)Math.Min((ulong)ReadField(iov, i * size + Field, Field, signed: false), (ulong)(data.Length - got));
            var n = Memory.Read(b, data.Slice(got, len));
            got += n;
            if (n < len)
            {
                if (got > 0) Hex("data_unread", b + (ulong)n);
                break;
            }
        }
        if (got > 0) Info.Set("data", Convert.ToBase64String(data[..got]));
        else if (entries > 0) Info.Set("data", InfoValue.Unreadable(vec));
    }

    /// <summary>A sleep's duration: struct __kernel_timespec (two s64), or old_timespec32 for a 32-bit caller.</summary>
    public void Timespec(string slot) => TimespecAt(Arg(slot), Field);

    /// <summary>A struct __kernel_timespec (two s64) whatever the caller (the *_time64 calls of i386).</summary>
    public void Timespec64(string slot) => TimespecAt(Arg(slot), 8);

    private void TimespecAt(ulong ts, int field)
    {
        Span<byte> b = stackalloc byte[16];
        if (Memory.Read(ts, b[..(2 * field)]) != 2 * field) return;
        Dec("seconds", ReadField(b, 0, field, signed: true));
        Dec("nanoseconds", ReadField(b, field, field, signed: true));
    }

    /// <summary>A socket address (sockaddr_in, sockaddr_in6, sockaddr_un) as text, and its family.</summary>
    public void SockAddr(string key, string addrSlot, string lenSlot)
    {
        var addr = Arg(addrSlot);
        Span<byte> sa = stackalloc byte[LinuxAbi.SockaddrUnSize];
        var want = (int)Math.Min(Arg(lenSlot), (ulong)LinuxAbi.SockaddrUnSize);
        if (want < 2 || Memory.Read(addr, sa[..want]) != want) { Info.Set(key, InfoValue.Unreadable(addr)); return; }
        var family = BinaryPrimitives.ReadUInt16LittleEndian(sa);
        Info.Set("family", LinuxFlagNames.Family(family));
        switch (family)
        {
            case LinuxAbi.AfInet when want >= 8: // sockaddr_in: port (big-endian), IPv4 address
                Info.Set(key, $"{sa[4]}.{sa[5]}.{sa[6]}.{sa[7]}:{BinaryPrimitives.ReadUInt16BigEndian(sa[2..])}");
                break;
            case LinuxAbi.AfInet6 when want >= 24: // sockaddr_in6: port, flowinfo, IPv6 address
                Info.Set(key, $"[{new System.Net.IPAddress(sa.Slice(8, 16))}]:{BinaryPrimitives.ReadUInt16BigEndian(sa[2..])}");
                break;
            case LinuxAbi.AfUnix: // sockaddr_un: a path, or an abstract name after a NUL (shown with '@', as ss does)
                var path = sa[2..want];
                var abstractName = path.Length > 0 && path[0] == 0;
                if (abstractName) path = path[1..];
                var end = path.IndexOf((byte)0);
                var text = Encoding.UTF8.GetString(end < 0 ? path : path[..end]);
                Info.Set(key, abstractName ? "@" + text : text);
                break;
        }
    }

    /// <summary>A little-endian 4- or 8-byte field.</summary>
    private static long ReadField(ReadOnlySpan<byte> b, int at, int size, bool signed) =>
        size == 4 ? signed ? BinaryPrimitives.ReadInt32LittleEndian(b[at..]) : BinaryPrimitives.ReadUInt32LittleEndian(b[at..])
            : BinaryPrimitives.ReadInt64LittleEndian(b[at..]);
}
