namespace Alkanet.Introspection.Windows;

/// <summary>Readable names of access masks, flags and enumerations, from the public Windows SDK headers (winnt.h,
/// ntifs.h, winternl.h): facts of the ABI, the same in every build. Names of flag words are joined by '|' in
/// ascending bit order; unknown bits are kept as hex.</summary>
public sealed class FlagTable
{
    private readonly (ulong Bit, string Name)[] _bits;
    private readonly Dictionary<ulong, string> _whole;
    private readonly Dictionary<ulong, string> _cache = [];
    private readonly bool _isEnum;

    private FlagTable((ulong, string)[] bits, (ulong, string)[] whole, bool isEnum)
    {
        _bits = [.. bits.OrderBy(b => b.Item1)];
        _whole = whole.ToDictionary(w => w.Item1, w => w.Item2);
        _isEnum = isEnum;
    }

    public static FlagTable Flags(params (ulong, string)[] bits) => new(bits, [], false);

    public static FlagTable FlagsWithWhole((ulong, string)[] whole, params (ulong, string)[] bits) => new(bits, whole, false);

    public static FlagTable Enum(params (ulong, string)[] values) => new([], values, true);

    public FlagTable With(FlagTable more) => new([.. _bits, .. more._bits], [.. _whole.Select(kv => (kv.Key, kv.Value)),
        .. more._whole.Select(kv => (kv.Key, kv.Value))], _isEnum);

    /// <summary>The names of <paramref name="value"/>; cached, so repeated values allocate nothing.</summary>
    public string NameOf(ulong value)
    {
        lock (_cache)
        {
            if (_cache.TryGetValue(value, out var s)) return s;
            s = Build(value);
            if (_cache.Count < 4096) _cache[value] = s;
            return s;
        }
    }

    private string Build(ulong value)
    {
        if (_whole.TryGetValue(value, out var w)) return w;
        if (_isEnum) return value.ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        if (value == 0) return "0";
        var parts = new List<string>();
        var rest = value;
        foreach (var (bit, name) in _bits)
        {
            if ((value & bit) == bit && bit != 0)
            {
                parts.Add(name);
                rest &= ~bit;
            }
        }
        if (rest != 0) parts.Add("0x" + rest.ToString("x", System.Globalization.CultureInfo.InvariantCulture));
        return string.Join('|', parts);
    }
}

public static class WindowsFlags
{
    private static readonly (ulong, string)[] Standard =
    [
        (0x10000, "DELETE"), (0x20000, "READ_CONTROL"), (0x40000, "WRITE_DAC"), (0x80000, "WRITE_OWNER"), (0x100000, "SYNCHRONIZE"),
        (0x1000000, "ACCESS_SYSTEM_SECURITY"), (0x2000000, "MAXIMUM_ALLOWED"),
        (0x10000000, "GENERIC_ALL"), (0x20000000, "GENERIC_EXECUTE"), (0x40000000, "GENERIC_WRITE"), (0x80000000, "GENERIC_READ"),
    ];

    public static readonly FlagTable FileAccess = FlagTable.Flags([
        (0x1, "FILE_READ_DATA"), (0x2, "FILE_WRITE_DATA"), (0x4, "FILE_APPEND_DATA"), (0x8, "FILE_READ_EA"), (0x10, "FILE_WRITE_EA"),
        (0x20, "FILE_EXECUTE"), (0x40, "FILE_DELETE_CHILD"), (0x80, "FILE_READ_ATTRIBUTES"), (0x100, "FILE_WRITE_ATTRIBUTES"), .. Standard]);

    public static readonly FlagTable ProcessAccess = FlagTable.FlagsWithWhole([(0x1FFFFF, "PROCESS_ALL_ACCESS")],
        [(0x1, "PROCESS_TERMINATE"), (0x2, "PROCESS_CREATE_THREAD"), (0x4, "PROCESS_SET_SESSIONID"), (0x8, "PROCESS_VM_OPERATION"),
         (0x10, "PROCESS_VM_READ"), (0x20, "PROCESS_VM_WRITE"), (0x40, "PROCESS_DUP_HANDLE"), (0x80, "PROCESS_CREATE_PROCESS"),
         (0x100, "PROCESS_SET_QUOTA"), (0x200, "PROCESS_SET_INFORMATION"), (0x400, "PROCESS_QUERY_INFORMATION"), (0x800, "PROCESS_SUSPEND_RESUME"),
         (0x1000, "PROCESS_QUERY_LIMITED_INFORMATION"), (0x2000, "PROCESS_SET_LIMITED_INFORMATION"), .. Standard]);

    public static readonly FlagTable ThreadAccess = FlagTable.FlagsWithWhole([(0x1FFFFF, "THREAD_ALL_ACCESS")],
        [(0x1, "THREAD_TERMINATE"), (0x2, "THREAD_SUSPEND_RESUME"), (0x4, "THREAD_ALERT"), (0x8, "THREAD_GET_CONTEXT"), (0x10, "THREAD_SET_CONTEXT"),
         (0x20, "THREAD_SET_INFORMATION"), (0x40, "THREAD_QUERY_INFORMATION"), (0x80, "THREAD_SET_THREAD_TOKEN"), (0x100, "THREAD_IMPERSONATE"),
         (0x200, "THREAD_DIRECT_IMPERSONATION"), (0x400, "THREAD_SET_LIMITED_INFORMATION"), (0x800, "THREAD_QUERY_LIMITED_INFORMATION"),
         (0x1000, "THREAD_RESUME"), .. Standard]);

    public static readonly FlagTable KeyAccess = FlagTable.FlagsWithWhole([(0xF003F, "KEY_ALL_ACCESS"), (0x20019, "KEY_READ"),
        (0x20006, "KEY_WRITE")],
        [(0x1, "KEY_QUERY_VALUE"), (0x2, "KEY_SET_VALUE"), (0x4, "KEY_CREATE_SUB_KEY"), (0x8, "KEY_ENUMERATE_SUB_KEYS"), (0x10, "KEY_NOTIFY"),
         (0x20, "KEY_CREATE_LINK"), (0x100, "KEY_WOW64_64KEY"), (0x200, "KEY_WOW64_32KEY"), .. Standard]);

    public static readonly FlagTable SectionAccess = FlagTable.FlagsWithWhole([(0xF001F, "SECTION_ALL_ACCESS")],
        [(0x1, "SECTION_QUERY"), (0x2, "SECTION_MAP_WRITE"), (0x4, "SECTION_MAP_READ"), (0x8, "SECTION_MAP_EXECUTE"),
         (0x10, "SECTION_EXTEND_SIZE"), (0x20, "SECTION_MAP_EXECUTE_EXPLICIT"), .. Standard]);

    public static readonly FlagTable MutantAccess = FlagTable.FlagsWithWhole([(0x1F0001, "MUTANT_ALL_ACCESS")], [(0x1, "MUTANT_QUERY_STATE"),
        .. Standard]);

    public static readonly FlagTable ShareAccess = FlagTable.Flags((1, "FILE_SHARE_READ"), (2, "FILE_SHARE_WRITE"), (4, "FILE_SHARE_DELETE"));

    public static readonly FlagTable CreateDisposition = FlagTable.Enum(
        (0, "FILE_SUPERSEDE"), (1, "FILE_OPEN"), (2, "FILE_CREATE"), (3, "FILE_OPEN_IF"), (4, "FILE_OVERWRITE"), (5, "FILE_OVERWRITE_IF"));

    public static readonly FlagTable KeyDisposition = FlagTable.Enum((1, "REG_CREATED_NEW_KEY"), (2, "REG_OPENED_EXISTING_KEY"));

    public static readonly FlagTable CreateOptions = FlagTable.Flags(
        (0x1, "FILE_DIRECTORY_FILE"), (0x2, "FILE_WRITE_THROUGH"), (0x4, "FILE_SEQUENTIAL_ONLY"), (0x8, "FILE_NO_INTERMEDIATE_BUFFERING"),
        (0x10, "FILE_SYNCHRONOUS_IO_ALERT"), (0x20, "FILE_SYNCHRONOUS_IO_NONALERT"), (0x40, "FILE_NON_DIRECTORY_FILE"),
        (0x80, "FILE_CREATE_TREE_CONNECTION"), (0x100, "FILE_COMPLETE_IF_OPLOCKED"), (0x200, "FILE_NO_EA_KNOWLEDGE"),
        (0x400, "FILE_OPEN_REMOTE_INSTANCE"), (0x800, "FILE_RANDOM_ACCESS"), (0x1000, "FILE_DELETE_ON_CLOSE"), (0x2000, "FILE_OPEN_BY_FILE_ID"),
        (0x4000, "FILE_OPEN_FOR_BACKUP_INTENT"), (0x8000, "FILE_NO_COMPRESSION"), (0x10000, "FILE_OPEN_REQUIRING_OPLOCK"),
        (0x100000, "FILE_RESERVE_OPFILTER"), (0x200000, "FILE_OPEN_REPARSE_POINT"), (0x400000, "FILE_OPEN_NO_RECALL"),
        (0x800000, "FILE_OPEN_FOR_FREE_SPACE_QUERY"));

    public static readonly FlagTable KeyOptions = FlagTable.Flags(
        (0x1, "REG_OPTION_VOLATILE"), (0x2, "REG_OPTION_CREATE_LINK"), (0x4, "REG_OPTION_BACKUP_RESTORE"), (0x8, "REG_OPTION_OPEN_LINK"));

    public static readonly FlagTable FileAttributes = FlagTable.Flags(
        (0x1, "FILE_ATTRIBUTE_READONLY"), (0x2, "FILE_ATTRIBUTE_HIDDEN"), (0x4, "FILE_ATTRIBUTE_SYSTEM"), (0x10, "FILE_ATTRIBUTE_DIRECTORY"),
        (0x20, "FILE_ATTRIBUTE_ARCHIVE"), (0x40, "FILE_ATTRIBUTE_DEVICE"), (0x80, "FILE_ATTRIBUTE_NORMAL"), (0x100, "FILE_ATTRIBUTE_TEMPORARY"),
        (0x200, "FILE_ATTRIBUTE_SPARSE_FILE"), (0x400, "FILE_ATTRIBUTE_REPARSE_POINT"), (0x800, "FILE_ATTRIBUTE_COMPRESSED"),
        (0x1000, "FILE_ATTRIBUTE_OFFLINE"), (0x2000, "FILE_ATTRIBUTE_NOT_CONTENT_INDEXED"), (0x4000, "FILE_ATTRIBUTE_ENCRYPTED"));

    public static readonly FlagTable PageProtect = FlagTable.Flags(
        (0x1, "PAGE_NOACCESS"), (0x2, "PAGE_READONLY"), (0x4, "PAGE_READWRITE"), (0x8, "PAGE_WRITECOPY"), (0x10, "PAGE_EXECUTE"),
        (0x20, "PAGE_EXECUTE_READ"), (0x40, "PAGE_EXECUTE_READWRITE"), (0x80, "PAGE_EXECUTE_WRITECOPY"), (0x100, "PAGE_GUARD"),
        (0x200, "PAGE_NOCACHE"), (0x400, "PAGE_WRITECOMBINE"));

    public static readonly FlagTable AllocationType = FlagTable.Flags(
        (0x1000, "MEM_COMMIT"), (0x2000, "MEM_RESERVE"), (0x4000, "MEM_REPLACE_PLACEHOLDER"), (0x40000, "MEM_RESERVE_PLACEHOLDER"),
        (0x80000, "MEM_RESET"), (0x100000, "MEM_TOP_DOWN"), (0x200000, "MEM_WRITE_WATCH"), (0x400000, "MEM_PHYSICAL"),
        (0x800000, "MEM_ROTATE"), (0x1000000, "MEM_RESET_UNDO"), (0x20000000, "MEM_LARGE_PAGES"));

    public static readonly FlagTable SectionAttributes = FlagTable.Flags(
        (0x800000, "SEC_FILE"), (0x1000000, "SEC_IMAGE"), (0x2000000, "SEC_PROTECTED_IMAGE"), (0x4000000, "SEC_RESERVE"),
        (0x8000000, "SEC_COMMIT"), (0x10000000, "SEC_NOCACHE"), (0x40000000, "SEC_WRITECOMBINE"), (0x80000000, "SEC_LARGE_PAGES"));

    public static readonly FlagTable ProcessCreateFlags = FlagTable.Flags(
        (0x1, "PROCESS_CREATE_FLAGS_BREAKAWAY"), (0x2, "PROCESS_CREATE_FLAGS_NO_DEBUG_INHERIT"), (0x4, "PROCESS_CREATE_FLAGS_INHERIT_HANDLES"),
        (0x8, "PROCESS_CREATE_FLAGS_OVERRIDE_ADDRESS_SPACE"), (0x10, "PROCESS_CREATE_FLAGS_LARGE_PAGES"),
            (0x20, "PROCESS_CREATE_FLAGS_LARGE_PAGE_SYSTEM_DLL"),
        (0x40, "PROCESS_CREATE_FLAGS_PROTECTED_PROCESS"), (0x80, "PROCESS_CREATE_FLAGS_CREATE_SESSION"),
            (0x100, "PROCESS_CREATE_FLAGS_INHERIT_FROM_PARENT"),
        (0x200, "PROCESS_CREATE_FLAGS_SUSPENDED"), (0x400, "PROCESS_CREATE_FLAGS_EXTENDED_UNKNOWN"));

    public static readonly FlagTable ThreadCreateFlags = FlagTable.Flags(
        (0x1, "THREAD_CREATE_FLAGS_CREATE_SUSPENDED"), (0x2, "THREAD_CREATE_FLAGS_SKIP_THREAD_ATTACH"),
            (0x4, "THREAD_CREATE_FLAGS_HIDE_FROM_DEBUGGER"),
        (0x10, "THREAD_CREATE_FLAGS_LOADER_WORKER"), (0x20, "THREAD_CREATE_FLAGS_SKIP_LOADER_INIT"),
            (0x40, "THREAD_CREATE_FLAGS_BYPASS_PROCESS_FREEZE"),
        (0x80, "THREAD_CREATE_FLAGS_INITIAL_THREAD"));

    public static readonly FlagTable RegistryValueType = FlagTable.Enum(
        (0, "REG_NONE"), (1, "REG_SZ"), (2, "REG_EXPAND_SZ"), (3, "REG_BINARY"), (4, "REG_DWORD"), (5, "REG_DWORD_BIG_ENDIAN"), (6, "REG_LINK"),
        (7, "REG_MULTI_SZ"), (8, "REG_RESOURCE_LIST"), (9, "REG_FULL_RESOURCE_DESCRIPTOR"), (10, "REG_RESOURCE_REQUIREMENTS_LIST"),
            (11, "REG_QWORD"));

    public static readonly FlagTable ProcessInfoClass = FlagTable.Enum(
        (0, "ProcessBasicInformation"), (1, "ProcessQuotaLimits"), (2, "ProcessIoCounters"), (3, "ProcessVmCounters"), (4, "ProcessTimes"),
        (7, "ProcessDebugPort"), (9, "ProcessAccessToken"), (0x12, "ProcessPriorityClass"), (0x14, "ProcessHandleCount"),
            (0x15, "ProcessAffinityMask"),
        (0x1a, "ProcessWow64Information"), (0x1b, "ProcessImageFileName"), (0x1d, "ProcessBreakOnTermination"), (0x1e, "ProcessDebugObjectHandle"),
        (0x1f, "ProcessDebugFlags"), (0x22, "ProcessExecuteFlags"), (0x24, "ProcessCookie"), (0x25, "ProcessImageInformation"),
        (0x2b, "ProcessImageFileNameWin32"), (0x34, "ProcessMitigationPolicy"), (0x3c, "ProcessCommandLineInformation"),
        (0x3d, "ProcessProtectionInformation"));

    public static readonly FlagTable ThreadInfoClass = FlagTable.Enum(
        (0, "ThreadBasicInformation"), (1, "ThreadTimes"), (2, "ThreadPriority"), (3, "ThreadBasePriority"), (4, "ThreadAffinityMask"),
        (5, "ThreadImpersonationToken"), (6, "ThreadDescriptorTableEntry"), (9, "ThreadQuerySetWin32StartAddress"),
        (0xd, "ThreadAmILastThread"), (0x11, "ThreadHideFromDebugger"), (0x12, "ThreadBreakOnTermination"), (0x1a, "ThreadSuspendCount"),
        (0x26, "ThreadNameInformation"));

    public static readonly FlagTable SystemInfoClass = FlagTable.Enum(
        (0, "SystemBasicInformation"), (2, "SystemPerformanceInformation"), (3, "SystemTimeOfDayInformation"), (5, "SystemProcessInformation"),
        (8, "SystemProcessorPerformanceInformation"), (0xb, "SystemModuleInformation"), (0x10, "SystemHandleInformation"),
        (0x23, "SystemKernelDebuggerInformation"), (0x2c, "SystemCurrentTimeZoneInformation"), (0x40, "SystemExtendedHandleInformation"),
        (0x4d, "SystemModuleInformationEx"), (0x5a, "SystemBootEnvironmentInformation"), (0x67, "SystemCodeIntegrityInformation"),
        (0x95, "SystemKernelDebuggerInformationEx"));

    public static readonly FlagTable KeyValueInfoClass = FlagTable.Enum(
        (0, "KeyValueBasicInformation"), (1, "KeyValueFullInformation"), (2, "KeyValuePartialInformation"),
        (3, "KeyValueFullInformationAlign64"), (4, "KeyValuePartialInformationAlign64"), (5, "KeyValueLayerInformation"));

    /// <summary>AFD (Winsock kernel driver) control codes whose input holds a socket address.</summary>
    public static readonly FlagTable AfdIoctl = FlagTable.Enum(
        (0x12003, "IOCTL_AFD_BIND"), (0x12007, "IOCTL_AFD_CONNECT"), (0x1200b, "IOCTL_AFD_START_LISTEN"), (0x1200c, "IOCTL_AFD_WAIT_FOR_LISTEN"),
        (0x12010, "IOCTL_AFD_ACCEPT"), (0x12017, "IOCTL_AFD_RECV"), (0x1201b, "IOCTL_AFD_RECV_DATAGRAM"), (0x1201f, "IOCTL_AFD_SEND"),
        (0x12023, "IOCTL_AFD_SEND_DATAGRAM"), (0x12047, "IOCTL_AFD_SET_CONTEXT"), (0x120bf, "IOCTL_AFD_DEFER_ACCEPT"),
            (0x120c7, "IOCTL_AFD_SUPER_CONNECT"));
}
