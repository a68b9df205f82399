namespace Alkanet.Analysis.Model;

/// <summary>The kinds of characteristic behaviour; rules and reference categories refer to these words.</summary>
public static class BehaviourKinds
{
    public const string FileOpen = "file_open";
    public const string FileCreate = "file_create";
    public const string FileWrite = "file_write";
    public const string FileDelete = "file_delete";
    public const string FileRename = "file_rename";
    public const string RegistryOpen = "registry_open";
    public const string RegistryCreate = "registry_create";
    public const string RegistrySet = "registry_set";
    public const string RegistryDelete = "registry_delete";
    public const string ProcessCreate = "process_create";
    public const string ProcessTerminate = "process_terminate";
    public const string MutexCreate = "mutex_create";
    public const string NetworkConnect = "network_connect";
    public const string NetworkListen = "network_listen";
    public const string ServiceCreate = "service_create";
    public const string DriverLoad = "driver_load";
    public const string AntiDebug = "anti_debug";
    public const string LongSleep = "long_sleep";
    public const string SystemProbe = "system_probe";
    public const string Injection = "injection";
    public const string PtraceTraceMe = "ptrace_traceme";
    public const string ProcessRename = "process_rename";
    public const string MemfdCreate = "memfd_create";
    public const string PermissionChange = "permission_change";
    public const string Command = "command";
    public const string FileTimeChange = "file_time_change";
    public const string ProcessAccess = "process_access";
    public const string ProcessEnumeration = "process_enumeration";
    public const string MassFileRead = "mass_file_read";
    public const string MassRename = "mass_rename";
}

/// <summary>One distinct thing a process did (kind + object), with how often and the records that prove it.</summary>
public sealed class BehaviourItem
{
    /// <summary>How many record numbers an item keeps as evidence (the count goes on).</summary>
    public const int MaxEvidence = 8;

    public required string Kind { get; init; }

    /// <summary>What it acted on: a path, a key\value, an image, an address, a mutex name.</summary>
    public required string Object { get; init; }

    /// <summary>Extra words (a command line, value data, a new name, a technique).</summary>
    public string? Detail { get; set; }

    private SortedSet<string>? _tags;

    /// <summary>Marks such as <c>autostart</c>, <c>executable</c>, <c>failed</c> (allocated only when an item has one:
    /// most items of a busy guest have none).</summary>
    public IReadOnlyCollection<string> Tags => (IReadOnlyCollection<string>?)_tags ?? [];

    public void AddTag(string tag) => (_tags ??= new SortedSet<string>(StringComparer.Ordinal)).Add(tag);

    public bool HasTag(string tag) => _tags?.Contains(tag) == true;

    public int ProcessSeq { get; init; }

    public ulong Tid { get; set; }

    /// <summary>True when a thread injected by another process did it.</summary>
    public bool ByInjectedThread { get; init; }

    public long Count { get; set; }

    public long FirstNo { get; set; } = long.MaxValue;

    public long? FirstNs { get; set; }

    public List<long> Records { get; } = [];

    /// <summary>Counts one more occurrence; keeps its ENTER and EXIT numbers (<paramref name="exitNo"/> -1 when none) while there is room.</summary>
    public void AddEvidence(long no, long exitNo, long? ns)
    {
        Count++;
        if (no < FirstNo) { FirstNo = no; FirstNs = ns ?? FirstNs; }
        if (Records.Count >= MaxEvidence) return;
        if (!Records.Contains(no)) Records.Add(no);
        if (exitNo >= 0 && exitNo != no && Records.Count < MaxEvidence && !Records.Contains(exitNo)) Records.Add(exitNo);
    }
}

/// <summary>The kinds of cross-process operation (spread). Sequence rules name these.</summary>
public static class SpreadKinds
{
    public const string ProcessCreate = "process_create";
    public const string ProcessOpen = "process_open";
    public const string ThreadOpen = "thread_open";
    public const string MemoryAlloc = "memory_alloc_remote";
    public const string MemoryWrite = "memory_write_remote";
    public const string MemoryProtect = "memory_protect_remote";
    public const string SectionMap = "section_map_remote";
    public const string SectionUnmap = "section_unmap_remote";
    public const string ThreadCreate = "thread_create_remote";
    public const string ApcQueue = "apc_queue_remote";
    public const string ContextSet = "context_set_remote";
    public const string ThreadResume = "thread_resume_remote";
    public const string ThreadSuspend = "thread_suspend_remote";
    public const string PtraceAttach = "ptrace_attach";
    public const string PtracePoke = "ptrace_poke";
    public const string PtraceSetRegs = "ptrace_setregs";
    public const string VmWrite = "vm_write_remote";
    public const string ProcMemWrite = "procmem_write";

    /// <summary>Kinds that put code or control into the target (not mere opening).</summary>
    public static bool IsInjecting(string kind) => kind is MemoryWrite or SectionMap or ThreadCreate or ApcQueue or ContextSet
        or PtracePoke or PtraceSetRegs or VmWrite or ProcMemWrite;
}

/// <summary>All operations of one kind from one source process to one target process.</summary>
public sealed class SpreadEdge
{
    public const int MaxRecords = 64;

    public required string Kind { get; init; }

    public required int SourceSeq { get; init; }

    public required int TargetSeq { get; init; }

    /// <summary>Source threads that did it (first few).</summary>
    public List<ulong> SourceTids { get; } = [];

    /// <summary>Target threads it acted on, when known.</summary>
    public List<ulong> TargetTids { get; } = [];

    public long Count { get; set; }

    /// <summary>Record numbers in order (first <see cref="MaxRecords"/>).</summary>
    public List<long> Records { get; } = [];

    public string? Detail { get; set; }
}
