using System.Text;
using Alkanet.Introspection.Memory;

namespace Alkanet.Introspection.TestKit;

/// <summary>A process of the synthetic guest: its EPROCESS, page tables (sharing the kernel half), user heap and
/// handle table.</summary>
public sealed class SyntheticProcess
{
    private const ulong UserHeapBase = 0x0000_01F0_0000_0000UL;
    private readonly SyntheticWindowsGuest _guest;
    private ulong _heapNext = UserHeapBase;
    private ulong _heapMapped = UserHeapBase;
    private ulong _nextHandleIndex = 1;
    private readonly ulong _handleTable;
    private readonly ulong _handlePage;
    private readonly ulong _secondPage;
    private int _nextTid;

    internal SyntheticProcess(SyntheticWindowsGuest guest, ulong eprocess, ulong pid, PageTableBuilder tables, int handleTableLevels)
    {
        _guest = guest;
        Eprocess = eprocess;
        Pid = pid;
        Tables = tables;
        _handleTable = guest.PoolAlloc(guest.Size("_HANDLE_TABLE"));
        _handlePage = guest.PoolAlloc(4096, 4096);
        ulong tableCode = _handlePage;
        if (handleTableLevels == 1)
        {
            // Level 1: a page of pointers to pages of entries; the handles added land in the second page.
            var directory = guest.PoolAlloc(4096, 4096);
            _secondPage = guest.PoolAlloc(4096, 4096);
            guest.System.WriteU64(directory, _handlePage);
            guest.System.WriteU64(directory + 8, _secondPage);
            tableCode = directory | 1;
            _nextHandleIndex = 4096 / guest.Size("_HANDLE_TABLE_ENTRY");
        }
        guest.System.WriteU64(_handleTable + guest.Off("_HANDLE_TABLE", "TableCode"), tableCode);
        guest.System.WriteU64(eprocess + guest.Off("_EPROCESS", "ObjectTable"), _handleTable);
        _nextTid = (int)pid + 4;
    }

    public ulong Eprocess { get; }
    public ulong Pid { get; }

    /// <summary>The HANDLE_TABLE (EPROCESS.ObjectTable).</summary>
    public ulong HandleTable => _handleTable;
    public PageTableBuilder Tables { get; }

    public ulong UserAlloc(ulong size, ulong align = 16)
    {
        _heapNext = (_heapNext + align - 1) & ~(align - 1);
        var va = _heapNext;
        _heapNext += Math.Max(size, 1);
        while (_heapMapped < _heapNext)
        {
            Tables.MapNew(_heapMapped, 4096);
            _heapMapped += 4096;
        }
        return va;
    }

    /// <summary>Writes a UNICODE_STRING descriptor at <paramref name="descriptor"/> with a fresh buffer.</summary>
    public void WriteUnicodeString(ulong descriptor, string text)
    {
        var bytes = Encoding.Unicode.GetBytes(text);
        var buffer = UserAlloc((ulong)bytes.Length + 2);
        Tables.Write(buffer, bytes);
        var g = _guest;
        Tables.WriteU16(descriptor + g.Off("_UNICODE_STRING", "Length"), (ushort)bytes.Length);
        Tables.WriteU16(descriptor + g.Off("_UNICODE_STRING", "MaximumLength"), (ushort)(bytes.Length + 2));
        Tables.WriteU64(descriptor + g.Off("_UNICODE_STRING", "Buffer"), buffer);
    }

    /// <summary>A new UNICODE_STRING in user memory; returns its address.</summary>
    public ulong UnicodeString(string text)
    {
        var d = UserAlloc(_guest.Size("_UNICODE_STRING"), 8);
        WriteUnicodeString(d, text);
        return d;
    }

    /// <summary>A new OBJECT_ATTRIBUTES naming <paramref name="objectName"/> relative to <paramref name="rootDirectory"/>.</summary>
    public ulong ObjectAttributes(string? objectName, ulong rootDirectory = 0, uint attributes = 0x40)
    {
        var g = _guest;
        var oa = UserAlloc(g.Size("_OBJECT_ATTRIBUTES"), 8);
        Tables.WriteU32(oa + g.Off("_OBJECT_ATTRIBUTES", "Length"), g.Size("_OBJECT_ATTRIBUTES"));
        Tables.WriteU64(oa + g.Off("_OBJECT_ATTRIBUTES", "RootDirectory"), rootDirectory);
        Tables.WriteU64(oa + g.Off("_OBJECT_ATTRIBUTES", "ObjectName"), objectName is null ? 0 : UnicodeString(objectName));
        Tables.WriteU32(oa + g.Off("_OBJECT_ATTRIBUTES", "Attributes"), attributes);
        return oa;
    }

    /// <summary>A new, normalized RTL_USER_PROCESS_PARAMETERS (pointers, not offsets) with the image path and command
    /// line; returns its address.</summary>
    public ulong ProcessParameters(string imagePath, string commandLine)
    {
        var g = _guest;
        var parameters = UserAlloc(g.Size("_RTL_USER_PROCESS_PARAMETERS"));
        Tables.WriteU32(parameters + g.Off("_RTL_USER_PROCESS_PARAMETERS", "Flags"), 1); // normalized
        WriteUnicodeString(parameters + g.Off("_RTL_USER_PROCESS_PARAMETERS", "ImagePathName"), imagePath);
        WriteUnicodeString(parameters + g.Off("_RTL_USER_PROCESS_PARAMETERS", "CommandLine"), commandLine);
        return parameters;
    }

    public ulong ClientId(ulong pid, ulong tid)
    {
        var g = _guest;
        var cid = UserAlloc(g.Size("_CLIENT_ID"), 8);
        Tables.WriteU64(cid + g.Off("_CLIENT_ID", "UniqueProcess"), pid);
        Tables.WriteU64(cid + g.Off("_CLIENT_ID", "UniqueThread"), tid);
        return cid;
    }

    public ulong U64(ulong value)
    {
        var p = UserAlloc(8, 8);
        Tables.WriteU64(p, value);
        return p;
    }

    public ulong Bytes(ReadOnlySpan<byte> data)
    {
        var p = UserAlloc((ulong)Math.Max(data.Length, 1), 8);
        Tables.Write(p, data);
        return p;
    }

    /// <summary>Enters <paramref name="objectBody"/> into this process's handle table; returns the handle value.</summary>
    public ulong AddHandle(ulong objectBody, uint grantedAccess = 0x1F01FF)
    {
        var g = _guest;
        var header = g.HeaderOf(objectBody);
        var entrySize = g.Size("_HANDLE_TABLE_ENTRY");
        var perPage = 4096 / entrySize;
        var index = _nextHandleIndex++;
        var page = index < perPage ? _handlePage : _secondPage;
        var entry = page + ((index % perPage) * entrySize);
        var loc = g.Isf.TryGetField("_HANDLE_TABLE_ENTRY", "ObjectPointerBits", out var l) ? l : throw new InvalidOperationException("no ObjectPointerBits");
        var low = ((header & 0x0000_FFFF_FFFF_FFFFUL) >> 4) << loc.BitPosition | 1; // Unlocked
        g.System.WriteU64(entry + loc.Offset, low);
        g.System.WriteU32(entry + g.Off("_HANDLE_TABLE_ENTRY", "GrantedAccessBits"), grantedAccess);
        return index * 4;
    }

    public SyntheticThread AddThread(ulong? tid = null)
    {
        var g = _guest;
        var t = tid ?? (ulong)_nextTid;
        _nextTid += 4;
        var ethread = g.AllocObject("Thread", g.Size("_ETHREAD"));
        g.System.WriteU64(ethread + g.Off("_ETHREAD", "Cid") + g.Off("_CLIENT_ID", "UniqueProcess"), Pid);
        g.System.WriteU64(ethread + g.Off("_ETHREAD", "Cid") + g.Off("_CLIENT_ID", "UniqueThread"), t);
        g.System.WriteU64(ethread + g.Off("_KTHREAD", "ApcState.Process"), Eprocess);
        g.System.WriteU64(ethread + g.Off("_KTHREAD", "Process"), Eprocess);
        var stack = g.PoolAlloc(0x6000, 4096);
        var trap = stack + 0x6000 - g.Size("_KTRAP_FRAME") - 0x40;
        g.System.WriteU64(ethread + g.Off("_KTHREAD", "TrapFrame"), trap);
        var userStack = UserAlloc(0x10000, 4096);
        var teb = UserAlloc(0x2000, 4096);
        return new SyntheticThread(this, ethread, t, teb, userStack + 0xF000, trap - 0x100, trap);
    }
}

public sealed class SyntheticThread(SyntheticProcess process, ulong ethread, ulong tid, ulong teb, ulong userRsp, ulong kernelStackTop, ulong trapFrame)
{
    public SyntheticProcess Process { get; } = process;
    public ulong Ethread { get; } = ethread;
    public ulong Tid { get; } = tid;
    public ulong Teb { get; } = teb;

    /// <summary>The user stack pointer at the syscall instruction; tests may move it to model nested callbacks.</summary>
    public ulong UserRsp { get; set; } = userRsp;
    public ulong KernelStackTop { get; } = kernelStackTop;
    public ulong TrapFrame { get; } = trapFrame;
}
