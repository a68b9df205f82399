using System.Text;
using Alkanet.Introspection.Cpu;
using Alkanet.Introspection.Memory;
using Alkanet.Introspection.Symbols;
using Alkanet.Introspection.Syscalls;
using Alkanet.Introspection.Windows;

namespace Alkanet.Introspection.TestKit;

public sealed class SyntheticGuestOptions
{
    /// <summary>2 MiB aligned: the kernel image is mapped with 2 MiB pages, as Windows does.</summary>
    public ulong KernelBase { get; init; } = 0xFFFF_F804_5A00_0000UL;
    public PagingMode Paging { get; init; } = PagingMode.FourLevel;
    public bool KvaShadow { get; init; }

    /// <summary>KUSER_SHARED_DATA.NtBuildNumber (low 16 bits); null leaves KUSER_SHARED_DATA unmapped.</summary>
    public int? NtBuildNumber { get; init; } = 18363;
    public Version FileVersion { get; init; } = new(10, 0, 18362, 418);
    public byte HeaderCookie { get; init; } = 0x5A;

    /// <summary>KiServiceLimit (number of nt services) written into the kernel; 464 is 1909's. With
    /// <see cref="ServiceTable"/> the limit is that table's highest number + 1.</summary>
    public uint ServiceLimit { get; init; } = 464;

    /// <summary>The number → name table the guest's KiServiceTable lays out (each entry leads to the ISF symbol of its
    /// name), so a test can give the guest any build's numbering (e.g. 19041's later updates, NtCopyFileChunk at 163);
    /// null is 1909's static table.</summary>
    public SyscallTable? ServiceTable { get; init; }

    /// <summary>False leaves KeServiceDescriptorTable zero (a kernel not initialised yet): discovery falls back to
    /// the static tables.</summary>
    public bool ServiceDescriptor { get; init; } = true;

    /// <summary>Override the PDB identity written in the image's RSDS record (default: the ISF's).</summary>
    public string? PdbGuid { get; init; }
    public int? PdbAge { get; init; }

    /// <summary>First physical frame the guest's allocator uses (default 1 MiB). A bootable guest sets it to the
    /// window its UEFI loader reserves (see Boot/SyntheticWindowsBootDisk).</summary>
    public ulong PhysicalStart { get; init; } = 0x10_0000;
}

/// <summary>A synthetic Windows x64 guest laid out in a sparse physical memory with the offsets of the ISF it is
/// given: page tables, a kernel image (MZ/PE header, CodeView RSDS, version resource), KUSER_SHARED_DATA,
/// KPCR/KPRCB, object types, processes (EPROCESS, PEB, process parameters, handle tables), threads (ETHREAD, trap
/// frames), named objects, and the vCPU states of syscall ENTER and EXIT hits. Used by the decoders' tests, the
/// benchmarks and (later) a simulated gdbstub.</summary>
public sealed class SyntheticWindowsGuest
{
    public const ulong KuserSharedData = 0xFFFF_F780_0000_0000UL;
    private const ulong PoolBase = 0xFFFF_A380_0000_0000UL;
    private static readonly Dictionary<string, byte> TypeIndexes = new()
    {
        ["Type"] = 2, ["Directory"] = 3, ["Process"] = 7, ["Thread"] = 8, ["Mutant"] = 0x11, ["Section"] = 0x2A, ["File"] = 0x25, ["Key"] = 0x2C,
    };

    private ulong _poolNext = PoolBase;
    private ulong _poolMapped = PoolBase;
    private readonly Dictionary<string, ulong> _types = [];

    public SyntheticWindowsGuest(IsfFile isf, SyntheticGuestOptions? options = null)
    {
        Isf = isf;
        Options = options ?? new SyntheticGuestOptions();
        Physical = new SparsePhysicalMemory(16UL << 30, Options.PhysicalStart);
        System = new PageTableBuilder(Physical, Options.Paging);
        KernelBase = Options.KernelBase;
        var highest = isf.Symbols.Values.Where(rva => rva < (64UL << 20)).DefaultIfEmpty().Max();
        ImageSize = Math.Max(0xA0_0000UL, (highest + 0x1_0000 + 0x1F_FFFF) & ~0x1F_FFFFUL);
        BuildKernelImage();
        if (Options.NtBuildNumber is { } build)
        {
            System.MapNew(KuserSharedData, 4096);
            System.WriteU32(KuserSharedData + Off("_KUSER_SHARED_DATA", "NtBuildNumber"), 0xF000_0000u | (uint)build);
        }
        System.MapNew(PoolBase, 4096);
        _poolMapped = PoolBase + 4096;
        Kpcr = PoolAlloc(Size("_KPCR"), 4096);
        var tss = PoolAlloc(4096);
        System.WriteU64(Kpcr + Off("_KPCR", "Self"), Kpcr);
        System.WriteU64(Kpcr + Off("_KPCR", "CurrentPrcb"), Kpcr + Off("_KPCR", "Prcb"));
        _ = tss;
        BuildObjectTypes();
        SystemProcess = AddProcess(4, "System", 0, null, null);
        // The System process's table holds kernel handles (ObpKernelHandleTable points at it, as in Windows).
        System.WriteU64(Symbol("ObpKernelHandleTable"), SystemProcess.HandleTable);
    }

    public IsfFile Isf { get; }
    public SyntheticGuestOptions Options { get; }
    public SparsePhysicalMemory Physical { get; }

    /// <summary>The System process's page tables (the kernel half every process shares).</summary>
    public PageTableBuilder System { get; }
    public ulong KernelBase { get; }
    public ulong Kpcr { get; }
    public SyntheticProcess SystemProcess { get; }

    public ulong Symbol(string name) => KernelBase + Isf.SymbolRva(name);

    /// <summary>The kernel image the kit maps (2 MiB pages): 10 MiB, or up to the ISF's highest symbol rounded up to
    /// 2 MiB when that is further (19041 and later keep KeServiceDescriptorTable near 14 MiB). The kit's helpers go
    /// in its last 64 KiB.</summary>
    public ulong ImageSize { get; }

    /// <summary>The table the guest's KiServiceTable lays out (<see cref="SyntheticGuestOptions.ServiceTable"/>, else 1909's).</summary>
    public SyscallTable ServiceTable => Options.ServiceTable
        ?? WindowsSyscallTables.Instance.ByRelease("1909") ?? throw new InvalidOperationException("no 1909 system-call table");

    /// <summary>Where KiServiceTable is: the ISF's symbol when <see cref="ServiceLimit"/> entries fit before KiServiceLimit
    /// (the ISF's kernel keeps the two adjacent), else 128 KiB before the image's end (a table of another update than the
    /// ISF's, e.g. with an inserted call). KeServiceDescriptorTable points at it, as the kernel's would.</summary>
    public ulong ServiceTableBase
    {
        get
        {
            var table = Symbol("KiServiceTable");
            var limit = Symbol("KiServiceLimit");
            return limit > table && limit < table + (ServiceLimit * 4UL) ? KernelBase + ImageSize - 0x2_0000 : table;
        }
    }

    /// <summary>KiServiceLimit: the table's highest number + 1 when the options give a table, else the options' limit.</summary>
    public uint ServiceLimit => Options.ServiceTable is { } t ? t.Calls().Max(c => c.Number) + 1 : Options.ServiceLimit;

    /// <summary>MSR LSTAR: KiSystemCall64, or KiSystemCall64Shadow with KVA shadow.</summary>
    public ulong Lstar => Symbol(Options.KvaShadow ? "KiSystemCall64Shadow" : "KiSystemCall64");

    /// <summary>Where this kit puts the <c>call r10</c> of the dispatcher, relative to KiSystemServiceCopyEnd.</summary>
    public const ulong CallR10Offset = 0x20;

    public ulong ExpectedReturnSite => Symbol("KiSystemServiceCopyEnd") + CallR10Offset + 3;

    public ulong ExpectedEnterSite => Options.KvaShadow ? Symbol("KiSystemServiceUser") : Symbol("KiSystemCall64");

    public uint Off(string type, string field) => Isf.OffsetOf(type, field);

    public uint Size(string type) => Isf.StructSize(type);

    // ---- kernel pool ----

    public ulong PoolAlloc(ulong size, ulong align = 16)
    {
        _poolNext = (_poolNext + align - 1) & ~(align - 1);
        var va = _poolNext;
        _poolNext += Math.Max(size, 1);
        while (_poolMapped < _poolNext)
        {
            System.MapNew(_poolMapped, 4096);
            _poolMapped += 4096;
        }
        return va;
    }

    /// <summary>Allocates an object with an OBJECT_HEADER (and a name-info header when named); returns the body.</summary>
    public ulong AllocObject(string typeName, ulong bodySize, string? name = null)
    {
        var nameInfoSize = name is null ? 0 : Size("_OBJECT_HEADER_NAME_INFO");
        var headerOffset = Off("_OBJECT_HEADER", "Body");
        var block = PoolAlloc(nameInfoSize + headerOffset + bodySize, 16);
        var header = block + nameInfoSize;
        if (name is not null)
        {
            WriteKernelUnicodeString(block + Off("_OBJECT_HEADER_NAME_INFO", "Name"), name);
            System.WriteU8(header + Off("_OBJECT_HEADER", "InfoMask"), 2);
        }
        var index = TypeIndexes[typeName];
        System.WriteU8(header + Off("_OBJECT_HEADER", "TypeIndex"), (byte)(index ^ Options.HeaderCookie ^ (byte)(header >> 8)));
        return header + headerOffset;
    }

    public ulong HeaderOf(ulong body) => body - Off("_OBJECT_HEADER", "Body");

    public void WriteKernelUnicodeString(ulong descriptor, string text)
    {
        var bytes = Encoding.Unicode.GetBytes(text);
        var buffer = PoolAlloc((ulong)bytes.Length + 2);
        System.Write(buffer, bytes);
        System.WriteU16(descriptor + Off("_UNICODE_STRING", "Length"), (ushort)bytes.Length);
        System.WriteU16(descriptor + Off("_UNICODE_STRING", "MaximumLength"), (ushort)(bytes.Length + 2));
        System.WriteU64(descriptor + Off("_UNICODE_STRING", "Buffer"), buffer);
    }

    /// <summary>A FILE_OBJECT whose FileName is <paramref name="path"/> (as the I/O manager keeps it, volume-relative).</summary>
    public ulong AddFile(string path)
    {
        var body = AllocObject("File", Size("_FILE_OBJECT"));
        WriteKernelUnicodeString(body + Off("_FILE_OBJECT", "FileName"), path);
        return body;
    }

    /// <summary>A registry key body whose KCB chain spells <paramref name="path"/> (\REGISTRY\MACHINE\...).</summary>
    public ulong AddKey(string path)
    {
        ulong parent = 0;
        var parts = path.Split('\\', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < parts.Length; i++)
        {
            var kcb = PoolAlloc(Size("_CM_KEY_CONTROL_BLOCK"));
            var ncb = PoolAlloc(Size("_CM_NAME_CONTROL_BLOCK") + (ulong)parts[i].Length + 8);
            var compressed = i % 2 == 0; // mix both encodings, as real hives do
            System.WriteU32(ncb + Off("_CM_NAME_CONTROL_BLOCK", "Compressed"), compressed ? 1u : 0u);
            var nameBytes = compressed ? Encoding.Latin1.GetBytes(parts[i]) : Encoding.Unicode.GetBytes(parts[i]);
            System.WriteU16(ncb + Off("_CM_NAME_CONTROL_BLOCK", "NameLength"), (ushort)nameBytes.Length);
            System.Write(ncb + Off("_CM_NAME_CONTROL_BLOCK", "Name"), nameBytes);
            System.WriteU64(kcb + Off("_CM_KEY_CONTROL_BLOCK", "NameBlock"), ncb);
            System.WriteU64(kcb + Off("_CM_KEY_CONTROL_BLOCK", "ParentKcb"), parent);
            parent = kcb;
        }
        var body = AllocObject("Key", Size("_CM_KEY_BODY"));
        System.WriteU64(body + Off("_CM_KEY_BODY", "KeyControlBlock"), parent);
        return body;
    }

    public ulong AddNamedObject(string typeName, string name) => AllocObject(typeName, 0x40, name);

    // ---- processes and threads ----

    public SyntheticProcess AddProcess(ulong pid, string imageFileName, ulong parentPid, string? imagePath, string? commandLine, int handleTableLevels = 0)
    {
        var eprocess = AllocObject("Process", Size("_EPROCESS"));
        var tables = new PageTableBuilder(Physical, Options.Paging, System.Root);
        var p = new SyntheticProcess(this, eprocess, pid, tables, handleTableLevels);
        System.WriteU64(eprocess + Off("_EPROCESS", "UniqueProcessId"), pid);
        System.WriteU64(eprocess + Off("_EPROCESS", "InheritedFromUniqueProcessId"), parentPid);
        var name = Encoding.Latin1.GetBytes(imageFileName);
        System.Write(eprocess + Off("_EPROCESS", "ImageFileName"), name.AsSpan(0, Math.Min(name.Length, 15)));
        System.WriteU64(eprocess + Off("_KPROCESS", "DirectoryTableBase"), tables.Root);
        if (imagePath is not null || commandLine is not null)
        {
            var peb = p.UserAlloc(Size("_PEB"));
            var parameters = p.ProcessParameters(imagePath ?? "", commandLine ?? "");
            tables.WriteU64(peb + Off("_PEB", "ProcessParameters"), parameters);
            System.WriteU64(eprocess + Off("_EPROCESS", "Peb"), peb);
        }
        return p;
    }

    private void BuildObjectTypes()
    {
        var table = Symbol("ObTypeIndexTable");
        foreach (var (name, index) in TypeIndexes)
        {
            var type = PoolAlloc(Size("_OBJECT_TYPE"));
            WriteKernelUnicodeString(type + Off("_OBJECT_TYPE", "Name"), name);
            System.WriteU64(table + ((ulong)index * 8), type);
            _types[name] = type;
        }
        System.WriteU8(Symbol("ObHeaderCookie"), Options.HeaderCookie);
    }

    private void BuildKernelImage()
    {
        var pages = (int)(ImageSize / 0x20_0000);
        var pa = Physical.AllocateFrames(pages * 512, 0x20_0000);
        for (var i = 0; i < pages; i++) System.Map(KernelBase + ((ulong)i * 0x20_0000), pa + ((ulong)i * 0x20_0000), 0x20_0000);
        var b = KernelBase;
        System.Write(b, "MZ"u8);
        const uint lfanew = 0x108;
        System.WriteU32(b + 0x3C, lfanew);
        System.Write(b + lfanew, "PE\0\0"u8);
        System.WriteU16(b + lfanew + 4, 0x8664);
        System.WriteU16(b + lfanew + 20, 0xF0);
        var opt = b + lfanew + 24;
        System.WriteU16(opt, 0x20B);
        System.WriteU32(opt + 56, (uint)ImageSize);
        System.WriteU32(opt + 108, 16);
        System.WriteU32(opt + 112 + (2 * 8), 0x2000); // resource directory
        System.WriteU32(opt + 112 + (2 * 8) + 4, 0x200);
        System.WriteU32(opt + 112 + (6 * 8), 0x1000); // debug directory
        System.WriteU32(opt + 112 + (6 * 8) + 4, 28);
        var pdb = Isf.Pdb ?? new PdbIdentity("ntkrnlmp.pdb", "00000000000000000000000000000000", 1);
        var rsds = 0x1100u;
        System.WriteU32(b + 0x1000 + 12, 2);
        System.WriteU32(b + 0x1000 + 16, 24 + 13);
        System.WriteU32(b + 0x1000 + 20, rsds);
        System.Write(b + rsds, "RSDS"u8);
        System.Write(b + rsds + 4, Guid.ParseExact(Options.PdbGuid ?? pdb.Guid, "N").ToByteArray());
        System.WriteU32(b + rsds + 20, (uint)(Options.PdbAge ?? pdb.Age));
        System.Write(b + rsds + 24, Encoding.ASCII.GetBytes(pdb.Database + "\0"));
        // VS_FIXEDFILEINFO somewhere inside the resource section.
        var v = Options.FileVersion;
        System.WriteU32(b + 0x2080, 0xFEEF04BD);
        System.WriteU32(b + 0x2084, 0x10000);
        System.WriteU32(b + 0x2088, (uint)((v.Major << 16) | v.Minor));
        System.WriteU32(b + 0x208C, (uint)((v.Build << 16) | v.Revision));
        System.WriteU32(Symbol("KiServiceLimit"), ServiceLimit);
        if (Options.ServiceDescriptor) WriteServiceTable(null);
        // The system-call entry: SWAPGS at KiSystemCall64 and the shadow entry; the dispatcher's call r10.
        System.Write(Symbol("KiSystemCall64"), [0x0F, 0x01, 0xF8]);
        System.Write(Symbol("KiSystemCall64Shadow"), [0x0F, 0x01, 0xF8]);
        var copyEnd = Symbol("KiSystemServiceCopyEnd");
        System.Write(copyEnd, Enumerable.Repeat((byte)0x90, (int)CallR10Offset).ToArray());
        System.Write(copyEnd + CallR10Offset, [0x41, 0xFF, 0xD2]);
    }

    /// <summary>KiServiceTable as Windows encodes it ((routine - table) &lt;&lt; 4 | stack argument count, 0 here) and
    /// KeServiceDescriptorTable (Base +0, Limit +16, argument table +24). An entry leads to the ISF symbol of its name,
    /// or to <paramref name="unnamedRoutine"/> (default: the table itself, no routine) when the ISF has no such symbol
    /// or <paramref name="routineOf"/> says otherwise (the bootable guest points calls it cannot place there).</summary>
    internal void WriteServiceTable(ulong? unnamedRoutine, Func<string, ulong?>? routineOf = null)
    {
        var table = ServiceTableBase;
        var names = ServiceTable;
        for (uint n = 0; n < ServiceLimit; n++)
        {
            var name = names.NameOf(n);
            ulong? routine = name is null ? null
                : routineOf is not null ? routineOf(name)
                : Isf.TryGetSymbol(name, out var rva) ? KernelBase + rva : null;
            var target = routine ?? unnamedRoutine ?? table;
            System.WriteU32(table + (n * 4), (uint)(int)((long)(target - table) << 4));
        }
        var sdt = Symbol("KeServiceDescriptorTable");
        System.WriteU64(sdt, table);
        System.WriteU64(sdt + 16, ServiceLimit);
        System.WriteU64(sdt + 24, Symbol("KiArgumentTable"));
    }

    // ---- vCPU states ----

    private VcpuState BaseState(SyntheticThread thread)
    {
        System.WriteU64(Kpcr + Off("_KPCR", "Prcb") + Off("_KPRCB", "CurrentThread"), thread.Ethread);
        return new VcpuState
        {
            CpuIndex = 0,
            Cs = 0x10,
            Cr0 = 0x8005_0033,
            Cr3 = thread.Process.Tables.Cr3(),
            Cr4 = Options.Paging == PagingMode.FiveLevel ? 1UL << 12 : 0,
            Efer = 0xD01,
            Lstar = Lstar,
            Known = KnownRegisters.General | KnownRegisters.Control | KnownRegisters.Segments | KnownRegisters.Lstar,
        };
    }

    /// <summary>The state at the ENTER hook site: number in RAX, arguments in R10, RDX, R8, R9 and on the user stack
    /// from RSP+0x28. Without KVA shadow the site is the LSTAR target (user RSP, GS still the TEB); with it,
    /// KiSystemServiceUser (kernel stack, GS = KPCR, user RSP in KPCR.UserRsp).</summary>
    public VcpuState EnterState(SyntheticThread thread, ulong number, params ulong[] args)
    {
        var s = BaseState(thread);
        var p = thread.Process;
        var rsp = thread.UserRsp;
        for (var i = 4; i < args.Length; i++) p.Tables.WriteU64(rsp + 0x28 + ((ulong)(i - 4) * 8), args[i]);
        ulong A(int i) => i < args.Length ? args[i] : 0;
        s.Rax = number;
        s.R10 = A(0);
        s.Rdx = A(1);
        s.R8 = A(2);
        s.R9 = A(3);
        s.Rcx = 0x7FFA_0000_1234; // user return address
        s.R11 = 0x246;
        s.Rip = ExpectedEnterSite;
        if (Options.KvaShadow)
        {
            System.WriteU64(Kpcr + Off("_KPCR", "UserRsp"), rsp);
            s.Rsp = thread.KernelStackTop;
            s.GsBase = Kpcr;
            s.KernelGsBase = thread.Teb;
        }
        else
        {
            s.Rsp = rsp;
            s.GsBase = thread.Teb;
            s.KernelGsBase = Kpcr;
        }
        return s;
    }

    /// <summary>The state at the EXIT hook site (after the service call): RAX = status, kernel stack, GS = KPCR;
    /// the user RSP is in the thread's trap frame.</summary>
    public VcpuState ExitState(SyntheticThread thread, uint status)
    {
        var s = BaseState(thread);
        s.Rax = status;
        s.Rip = ExpectedReturnSite;
        s.Rsp = thread.KernelStackTop - 0x200;
        s.GsBase = Kpcr;
        s.KernelGsBase = thread.Teb;
        System.WriteU64(thread.TrapFrame + Off("_KTRAP_FRAME", "Rsp"), thread.UserRsp);
        return s;
    }

    /// <summary>A reader of the thread's process address space through the page walker (as tests and images read).</summary>
    public PagedVirtualMemory MemoryOf(SyntheticProcess process) => new(Physical, process.Tables.Cr3(), Options.Paging);
}
