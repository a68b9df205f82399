using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Alkanet.Core.Records;
using Alkanet.Introspection.Cpu;
using Alkanet.Introspection.Memory;

namespace Alkanet.Introspection.Windows;

/// <summary>What one call decoder sees: the arguments, the caller, guest memory, and helpers that write the
/// <c>additional_info</c> vocabulary of docs/RECORD.md. One instance per decoder, reused for every hit.</summary>
public sealed class DecodeContext
{
    internal DecodeContext(WindowsProfile profile, WindowsObjects objects, WindowsCaller callers, WindowsDecoderOptions options)
    {
        Profile = profile;
        Objects = objects;
        Callers = callers;
        Options = options;
    }

    public WindowsProfile Profile { get; }
    public WindowsObjects Objects { get; }
    public WindowsCaller Callers { get; }
    public WindowsDecoderOptions Options { get; }
    public HexCache Hex { get; } = new();

    /// <summary>Guest text already turned into strings (paths, names), by content.</summary>
    public GuestTextPool Texts { get; } = new();

    public IVirtualMemory Memory { get; internal set; } = null!;
    /// <summary>Section views of the guest's processes (capture of views mapped into another process).</summary>
    public SectionViews Views { get; internal set; } = null!;
    public SyscallRecord Record { get; internal set; } = null!;
    public CallerInfo Caller;
    public VcpuState State;

    internal readonly ulong[] ArgBuffer = new ulong[SyscallPairing.MaxArgs];
    public int ArgCount { get; internal set; }
    public bool IsExit { get; internal set; }

    /// <summary>The NTSTATUS at EXIT.</summary>
    public uint Status { get; internal set; }

    public bool Succeeded => (int)Status >= 0;

    /// <summary>Emit only what the original Alkanet logged for the calls it decoded (figure 2 of the paper).</summary>
    public bool Original => Options.OriginalFieldsOnly;

    public ulong Arg(int i) => i < ArgCount ? ArgBuffer[i] : 0;

    private AdditionalInfo Info => Record.AdditionalInfo;

    public void Text(string name, string value) => Info.Set(name, value);

    /// <summary>A value read from the guest (a string, or where reading it failed).</summary>
    public void Text(string name, InfoValue value) => Info.Set(name, value);

    public void HexValue(string name, ulong value) => Info.Set(name, Hex.Get(value));

    public void Decimal(string name, long value) => Info.Set(name, value.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>A flag word: raw hex, and the <c>_names</c> companion.</summary>
    public void Flags(string name, ulong value, FlagTable table)
    {
        Info.Set(name, Hex.Get(value));
        if (!Original) Info.Set(NamesKey(name), table.NameOf(value));
    }

    private static readonly Dictionary<string, string> NamesKeys = [];

    private static string NamesKey(string name)
    {
        lock (NamesKeys)
        {
            if (!NamesKeys.TryGetValue(name, out var k)) NamesKeys[name] = k = name + "_names";
            return k;
        }
    }

    /// <summary>An information class: hex number and its name.</summary>
    public void InfoClass(ulong value, FlagTable table)
    {
        Info.Set("info_class", Hex.Get(value));
        Info.Set("info_class_name", table.NameOf(value));
    }

    public void Unreadable(string name, ulong address) => Info.Set(name, InfoValue.Unreadable(address));

    /// <summary>OBJECT_ATTRIBUTES as the original logged it: RootDirectory handle in hex, a backslash, then
    /// ObjectName (so "0\\??\C:\x" for an absolute path).</summary>
    public void ObjectAttributes(string name, ulong oa)
    {
        if (oa == 0) return;
        var p = Profile;
        if (!Memory.TryReadU64Pair(oa, p.ObjAttrRootDirectory, p.ObjAttrObjectName, out var root, out var objectName))
        {
            Unreadable(name, oa);
            return;
        }
        var hex = Hex.Get(root);
        Span<char> prefix = stackalloc char[hex.Length + 1];
        hex.CopyTo(prefix);
        prefix[^1] = '\\';
        Info.Set(name, objectName == 0 ? InfoValue.String(Texts.Get(prefix)) : UnicodeStringValue(objectName, prefix));
    }

    /// <summary>Only the ObjectName of OBJECT_ATTRIBUTES (named kernel objects: mutants, sections).</summary>
    public void ObjectNameOnly(string name, ulong oa)
    {
        if (oa == 0 || !Memory.TryReadU64(oa + Profile.ObjAttrObjectName, out var objectName) || objectName == 0) return;
        Info.Set(name, UnicodeStringValue(objectName, default));
    }

    public void UnicodeStringAt(string name, ulong descriptor)
    {
        if (descriptor == 0) return;
        Info.Set(name, UnicodeStringValue(descriptor, default));
    }

    /// <summary>The UNICODE_STRING at <paramref name="descriptor"/> as a record value after <paramref name="prefix"/>, as
    /// <see cref="GuestReader.ReadUnicodeString"/> reads it (capped at <see cref="WindowsDecoderOptions.MaxStringBytes"/>).</summary>
    public InfoValue UnicodeStringValue(ulong descriptor, ReadOnlySpan<char> prefix)
    {
        if (!Memory.TryReadUnicodeDescriptor(Profile.UnicodeString, descriptor, out var length, out var buffer))
            return InfoValue.Unreadable(descriptor, new string(prefix));
        if (length == 0) return InfoValue.String(Texts.Get(prefix));
        if (buffer == 0) return InfoValue.Unreadable(0, new string(prefix));
        return Utf16(buffer, length, prefix);
    }

    /// <summary><paramref name="byteLength"/> bytes of UTF-16 at <paramref name="buffer"/> (capped at
    /// <see cref="WindowsDecoderOptions.MaxStringBytes"/>) after <paramref name="prefix"/>, the same value as
    /// <see cref="GuestReader.ReadUtf16"/> gives, from <see cref="Texts"/> when it was read whole: no string is built for
    /// text seen before.</summary>
    public InfoValue Utf16(ulong buffer, int byteLength, ReadOnlySpan<char> prefix = default)
    {
        var want = Math.Min(byteLength, Options.MaxStringBytes) & ~1;
        if (want > 0 && BitConverter.IsLittleEndian && prefix.Length + (want / 2) <= GuestTextPool.MaxLength)
        {
            Span<char> chars = stackalloc char[prefix.Length + (want / 2)];
            prefix.CopyTo(chars);
            var text = chars[prefix.Length..];
            // Lone surrogates are left to the decoder below, which replaces them (U+FFFD) as it always did.
            if (Memory.Read(buffer, MemoryMarshal.AsBytes(text)) == want && text.IndexOfAnyInRange('\uD800', '\uDFFF') < 0)
                return InfoValue.String(Texts.Get(chars));
        }
        return Memory.ReadUtf16(buffer, byteLength, Options.MaxStringBytes).ToInfoValue(new string(prefix));
    }

    /// <summary>A handle and, when the caller's handle table resolves it, the object's name.</summary>
    public void Handle(string name, ulong handle)
    {
        Info.Set(name, Hex.Get(handle));
        var resolved = Objects.HandleName(Memory, Caller.Process, handle);
        if (resolved is not null) Info.Set("object_name", resolved);
    }

    /// <summary>A process handle and the pid it refers to (self handle: the caller).</summary>
    public void ProcessHandle(string name, ulong handle)
    {
        Info.Set(name, Hex.Get(handle));
        if (Objects.TryProcessId(Memory, Caller, handle, out var pid)) Info.Set("target_pid", Hex.Get(pid));
    }

    /// <summary>The image name (EPROCESS.ImageFileName) of the process <paramref name="handle"/> refers to, as
    /// <c>target_name</c>: a process that made no call yet is still named where it is opened.</summary>
    public void TargetName(ulong handle)
    {
        var header = Objects.ObjectHeader(Memory, Caller.Process, handle);
        var process = Objects.ObjectBody(header);
        if (header != 0 && Memory.TryReadU64(process + Profile.EprocessPid, out var pid))
            Info.Set("target_name", Callers.ProcessName(Memory, process, pid));
    }

    /// <summary>A thread handle and the pid/tid it refers to (self handle: the caller).</summary>
    public void ThreadHandle(string name, ulong handle)
    {
        Info.Set(name, Hex.Get(handle));
        if (Objects.TryThreadIds(Memory, Caller, handle, out var pid, out var tid))
        {
            Info.Set("target_pid", Hex.Get(pid));
            Info.Set("target_tid", Hex.Get(tid));
        }
    }

    /// <summary>CLIENT_ID at <paramref name="address"/> → target_pid / target_tid (0 tid is left out).</summary>
    public void ClientId(ulong address, string pidName = "target_pid", string tidName = "target_tid")
    {
        if (address == 0) return;
        if (!Memory.TryReadClientId(Profile, address, out var pid, out var tid))
        {
            Unreadable(pidName, address);
            return;
        }
        Info.Set(pidName, Hex.Get(pid));
        if (tid != 0) Info.Set(tidName, Hex.Get(tid));
    }

    /// <summary>At EXIT: the handle the call wrote through the pointer argument, when it succeeded.</summary>
    public bool OutHandle(string name, ulong pointer, out ulong handle)
    {
        handle = 0;
        if (!Succeeded || pointer == 0) return false;
        if (!Memory.TryReadU64(pointer, out handle)) { Unreadable(name, pointer); return false; }
        Info.Set(name, Hex.Get(handle));
        return true;
    }

    /// <summary>A value passed by pointer (PVOID*, SIZE_T*): the value it points to, or the unreadable marker.</summary>
    public void Deref64(string name, ulong pointer)
    {
        if (pointer == 0) return;
        if (Memory.TryReadU64(pointer, out var v)) Info.Set(name, Hex.Get(v));
        else Unreadable(name, pointer);
    }

    public void Deref32Flags(string name, ulong pointer, FlagTable table)
    {
        if (pointer == 0) return;
        if (Memory.TryReadU32(pointer, out var v)) Flags(name, v, table);
        else Unreadable(name, pointer);
    }

    /// <summary>IO_STATUS_BLOCK.Information (bytes transferred) at EXIT.</summary>
    public void IoInformation(string name, ulong iosb)
    {
        if (iosb == 0 || !Succeeded) return;
        var off = Profile.Isf.TryGetField("_IO_STATUS_BLOCK", "Information", out var loc) ? loc.Offset : 8;
        Deref64(name, iosb + off);
    }

    /// <summary>Registry value data: text for string types, hex for others, at most 256 bytes.</summary>
    public void RegistryData(ulong type, ulong data, ulong size)
    {
        if (data == 0 || size == 0) return;
        var n = (int)Math.Min(size, 256UL);
        Span<byte> bytes = stackalloc byte[n];
        var got = Memory.Read(data, bytes);
        if (got == 0) { Unreadable("data", data); return; }
        bytes = bytes[..got];
        Info.Set("data", RegistryText(type, bytes));
        if (size > (ulong)n || got < n) Info.Set("data_truncated", "1");
    }

    /// <summary>String types as text (NULs between REG_MULTI_SZ parts as line breaks, else spaces), others as hex; from
    /// <see cref="Texts"/> (the buffer is the caller's, changed in place).</summary>
    private string RegistryText(ulong type, Span<byte> bytes)
    {
        if (type is not (1 or 2 or 6 or 7))
        {
            Span<char> hex = stackalloc char[bytes.Length * 2];
            return Convert.TryToHexStringLower(bytes, hex, out var written) ? Texts.Get(hex[..written]) : Convert.ToHexStringLower(bytes);
        }
        var chars = MemoryMarshal.Cast<byte, char>(bytes[..(bytes.Length & ~1)]);
        if (!BitConverter.IsLittleEndian || chars.IndexOfAnyInRange('\uD800', '\uDFFF') >= 0)
            return Encoding.Unicode.GetString(bytes[..(bytes.Length & ~1)]).TrimEnd('\0').Replace('\0', type == 7 ? '\n' : ' ');
        chars = chars.TrimEnd('\0');
        chars.Replace('\0', type == 7 ? '\n' : ' ');
        return Texts.Get(chars);
    }

    /// <summary>A SOCKADDR (IPv4 or IPv6) as "1.2.3.4:80" or "[::1]:80"; sets <c>family</c> too.</summary>
    public void SocketAddress(string name, ulong address)
    {
        Span<byte> sa = stackalloc byte[28];
        var got = Memory.Read(address, sa);
        if (got < 8) { Unreadable(name, address); return; }
        var family = BinaryPrimitives.ReadUInt16LittleEndian(sa);
        var port = BinaryPrimitives.ReadUInt16BigEndian(sa[2..]);
        if (family == 2)
        {
            Info.Set("family", "AF_INET");
            Info.Set(name, $"{sa[4]}.{sa[5]}.{sa[6]}.{sa[7]}:{port}");
        }
        else if (family == 23 && got >= 24)
        {
            Info.Set("family", "AF_INET6");
            Info.Set(name, $"[{new System.Net.IPAddress(sa.Slice(8, 16))}]:{port}");
        }
        else Info.Set("family", Hex.Get(family));
    }
}
