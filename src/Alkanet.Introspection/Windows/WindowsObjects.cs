using System.Text;
using Alkanet.Introspection.Memory;
using Alkanet.Introspection.Symbols;

namespace Alkanet.Introspection.Windows;

/// <summary>Resolves handles through a process's handle table (EPROCESS.ObjectTable → HANDLE_TABLE.TableCode,
/// up to three levels) to the object, its type (ObTypeIndexTable, decoded with ObHeaderCookie) and a readable name:
/// a file's FileName, a registry key's full path (KCB chain), else the object's own name. Every step is bounded.</summary>
public sealed class WindowsObjects
{
    private const ulong CurrentProcess = ulong.MaxValue;      // (HANDLE)-1
    private const ulong CurrentThread = ulong.MaxValue - 1;   // (HANDLE)-2
    private const int MaxKeyDepth = 32;
    private readonly WindowsProfile _p;
    private readonly ulong _typeTable, _cookieAddress, _kernelHandleTable;
    private readonly GuestStringCache _names = new();
    private readonly Dictionary<ulong, string> _typeNames = [];
    private byte? _cookie;

    public WindowsObjects(WindowsProfile profile, ulong kernelBase)
    {
        _p = profile;
        _typeTable = profile.Isf.TryGetSymbol("ObTypeIndexTable", out var t) ? kernelBase + t : 0;
        _cookieAddress = profile.Isf.TryGetSymbol("ObHeaderCookie", out var c) ? kernelBase + c : 0;
        _kernelHandleTable = profile.Isf.TryGetSymbol("ObpKernelHandleTable", out var k) ? kernelBase + k : 0;
    }

    public static bool IsCurrentProcess(ulong handle) => handle == CurrentProcess;

    public static bool IsCurrentThread(ulong handle) => handle == CurrentThread;

    /// <summary>The object header of <paramref name="handle"/> in <paramref name="process"/>'s table (kernel handles —
    /// high bit set — in the kernel's table); 0 when any step fails.</summary>
    public ulong ObjectHeader(IVirtualMemory m, ulong process, ulong handle)
    {
        ulong table;
        if ((handle & 0xFFFF_FFFF_8000_0000UL) == 0xFFFF_FFFF_8000_0000UL && handle < CurrentThread)
        {
            if (_kernelHandleTable == 0 || !m.TryReadU64(_kernelHandleTable, out table)) return 0;
            handle &= 0x7FFF_FFFF;
        }
        else if (handle > 0xFFFF_FFFF || process == 0 || !m.TryReadU64(process + _p.EprocessObjectTable, out table)) return 0;
        if (!GuestReader.IsKernelAddress(table) || !m.TryReadU64(table + _p.HandleTableTableCode, out var tableCode)) return 0;
        var entrySize = _p.HandleEntrySize == 0 ? 16UL : _p.HandleEntrySize;
        var perPage = 4096 / entrySize;
        var index = handle >> 2;
        var level = tableCode & 3;
        var page = tableCode & ~3UL;
        if (level == 2)
        {
            var span = perPage * 512;
            if (index / span >= 512 || !m.TryReadU64(page + (index / span * 8), out page)) return 0;
            index %= span;
            level = 1;
        }
        if (level == 1)
        {
            if (index / perPage >= 512 || !m.TryReadU64(page + (index / perPage * 8), out page)) return 0;
            index %= perPage;
        }
        else if (level != 0 || index >= perPage) return 0;
        if (!GuestReader.IsKernelAddress(page)) return 0;
        var loc = _p.HandleEntryObjectPointer;
        if (loc.BitLength == 0 || !m.TryReadField(page + (index * entrySize), loc, out var bits) || bits == 0) return 0;
        return (bits << 4) | 0xFFFF_0000_0000_0000UL;
    }

    public ulong ObjectBody(ulong header) => header == 0 ? 0 : header + _p.ObjectHeaderBody;

    /// <summary>The object's type name ("File", "Key", "Process"...), or null.</summary>
    public string? TypeName(IVirtualMemory m, ulong header)
    {
        if (header == 0 || _typeTable == 0 || !m.TryReadU8(header + _p.ObjectHeaderTypeIndex, out var encoded)) return null;
        if (_cookie is null && _cookieAddress != 0 && m.TryReadU8(_cookieAddress, out var cookie)) _cookie = cookie;
        var index = (ulong)(byte)(encoded ^ (_cookie ?? 0) ^ (byte)(header >> 8));
        if (!m.TryReadU64(_typeTable + (index * 8), out var type) || !GuestReader.IsKernelAddress(type)) return null;
        if (_typeNames.TryGetValue(type, out var name)) return name;
        var s = m.ReadUnicodeString(type + _p.ObjectTypeName, _p.UnicodeString, 128);
        if (s.IsUnreadable || s.IsPartial) return null;
        if (_typeNames.Count < 256) _typeNames[type] = s.Text!;
        return s.Text;
    }

    /// <summary>A readable name of the object <paramref name="handle"/> refers to, or null when it has none or
    /// cannot be read. Cached by object and name buffer, so a repeated handle allocates nothing.</summary>
    public string? HandleName(IVirtualMemory m, ulong process, ulong handle)
    {
        var header = ObjectHeader(m, process, handle);
        return header == 0 ? null : ObjectName(m, header);
    }

    public string? ObjectName(IVirtualMemory m, ulong header)
    {
        var type = TypeName(m, header);
        var body = ObjectBody(header);
        if (type == "File") return CachedUnicode(m, header, body + _p.FileObjectFileName);
        if (type == "Key") return KeyPath(m, header, body);
        if (!m.TryReadU8(header + _p.ObjectHeaderInfoMask, out var mask) || (mask & 2) == 0) return null;
        var nameInfo = header - _p.NameInfoSize - ((mask & 1) != 0 ? _p.CreatorInfoSize : 0);
        return CachedUnicode(m, header, nameInfo + _p.NameInfoName);
    }

    private string? CachedUnicode(IVirtualMemory m, ulong header, ulong descriptor)
    {
        if (!m.TryReadUnicodeDescriptor(_p.UnicodeString, descriptor, out var length, out var buffer)) return null;
        if (length == 0) return null;
        var key = buffer ^ ((ulong)length << 48);
        if (_names.TryGet(header, key, out var cached)) return cached;
        var s = m.ReadUtf16(buffer, length, 2048);
        if (s.IsUnreadable) return null;
        var text = s.ToRecordText();
        _names.Set(header, key, text);
        return text;
    }

    /// <summary>A key's full path, walking CM_KEY_BODY.KeyControlBlock and the ParentKcb chain (bounded depth).</summary>
    private string? KeyPath(IVirtualMemory m, ulong header, ulong body)
    {
        if (!m.TryReadU64(body + _p.KeyBodyKcb, out var kcb) || !GuestReader.IsKernelAddress(kcb)) return null;
        if (_names.TryGet(header, kcb, out var cached)) return cached;
        var keyKcb = kcb;
        var parts = new List<string>();
        for (var depth = 0; depth < MaxKeyDepth && GuestReader.IsKernelAddress(kcb); depth++)
        {
            if (!m.TryReadU64(kcb + _p.KcbNameBlock, out var ncb) || !GuestReader.IsKernelAddress(ncb)) break;
            if (!m.TryReadU16(ncb + _p.NcbNameLength, out var len)) break;
            var compressed = m.TryReadField(ncb, _p.NcbCompressed, out var c) && c != 0;
            var bytes = new byte[Math.Min((int)len, 512)];
            var got = m.Read(ncb + _p.NcbName, bytes);
            parts.Add(compressed ? Encoding.Latin1.GetString(bytes, 0, got) : Encoding.Unicode.GetString(bytes, 0, got & ~1));
            if (!m.TryReadU64(kcb + _p.KcbParent, out kcb)) break;
        }
        if (parts.Count == 0) return null;
        parts.Reverse();
        var path = "\\" + string.Join('\\', parts);
        _names.Set(header, keyKcb, path);
        return path;
    }

    /// <summary>The process id of the EPROCESS a process handle refers to (self handle: the caller's).</summary>
    public bool TryProcessId(IVirtualMemory m, in CallerInfo caller, ulong handle, out ulong pid)
    {
        pid = 0;
        if (IsCurrentProcess(handle)) { pid = caller.Pid; return caller.HasIds; }
        var header = ObjectHeader(m, caller.Process, handle);
        return header != 0 && m.TryReadU64(ObjectBody(header) + _p.EprocessPid, out pid);
    }

    /// <summary>The (pid, tid) of the ETHREAD a thread handle refers to (self handle: the caller's).</summary>
    public bool TryThreadIds(IVirtualMemory m, in CallerInfo caller, ulong handle, out ulong pid, out ulong tid)
    {
        pid = tid = 0;
        if (IsCurrentThread(handle)) { pid = caller.Pid; tid = caller.Tid; return caller.HasIds; }
        var header = ObjectHeader(m, caller.Process, handle);
        if (header == 0) return false;
        var thread = ObjectBody(header);
        return m.TryReadU64(thread + _p.EthreadCid + _p.CidProcess, out pid) && m.TryReadU64(thread + _p.EthreadCid + _p.CidThread, out tid);
    }
}
