using Alkanet.Introspection.Memory;
using Alkanet.Introspection.Symbols;

namespace Alkanet.Introspection.Windows;

/// <summary>Every structure offset and symbol the Windows code uses, resolved once from a kernel's ISF file by name.
/// Nothing here is a constant: another build's ISF gives another layout. Missing names are listed, not fatal,
/// so <c>alkanet profile show</c> can say what a profile lacks; decoders skip what they cannot read.</summary>
public sealed class WindowsProfile
{
    /// <summary>The fields the tool reads, as TYPE.FIELD.PATH (what `profile show` prints).</summary>
    public static readonly IReadOnlyList<(string Type, string Field)> RequiredFields =
    [
        ("_KPCR", "Prcb"), ("_KPCR", "UserRsp"), ("_KPRCB", "CurrentThread"),
        ("_ETHREAD", "Cid"), ("_CLIENT_ID", "UniqueProcess"), ("_CLIENT_ID", "UniqueThread"),
        ("_KTHREAD", "ApcState.Process"), ("_KTHREAD", "Process"), ("_KTHREAD", "TrapFrame"), ("_KTRAP_FRAME", "Rsp"),
        ("_EPROCESS", "UniqueProcessId"), ("_EPROCESS", "InheritedFromUniqueProcessId"), ("_EPROCESS", "ImageFileName"),
        ("_EPROCESS", "Peb"), ("_EPROCESS", "ObjectTable"),
        ("_PEB", "ProcessParameters"), ("_RTL_USER_PROCESS_PARAMETERS", "ImagePathName"), ("_RTL_USER_PROCESS_PARAMETERS", "CommandLine"),
        ("_UNICODE_STRING", "Length"), ("_UNICODE_STRING", "Buffer"),
        ("_OBJECT_ATTRIBUTES", "RootDirectory"), ("_OBJECT_ATTRIBUTES", "ObjectName"), ("_OBJECT_ATTRIBUTES", "Attributes"),
        ("_HANDLE_TABLE", "TableCode"), ("_HANDLE_TABLE_ENTRY", "ObjectPointerBits"),
        ("_OBJECT_HEADER", "TypeIndex"), ("_OBJECT_HEADER", "InfoMask"), ("_OBJECT_HEADER", "Body"),
        ("_OBJECT_HEADER_NAME_INFO", "Name"), ("_OBJECT_TYPE", "Name"), ("_FILE_OBJECT", "FileName"),
        ("_CM_KEY_BODY", "KeyControlBlock"), ("_CM_KEY_CONTROL_BLOCK", "NameBlock"), ("_CM_KEY_CONTROL_BLOCK", "ParentKcb"),
        ("_CM_NAME_CONTROL_BLOCK", "Compressed"), ("_CM_NAME_CONTROL_BLOCK", "NameLength"), ("_CM_NAME_CONTROL_BLOCK", "Name"),
        ("_KUSER_SHARED_DATA", "NtBuildNumber"),
    ];

    /// <summary>The structure sizes the tool needs.</summary>
    public static readonly IReadOnlyList<string> RequiredSizes =
        ["_UNICODE_STRING", "_HANDLE_TABLE_ENTRY", "_OBJECT_HEADER_NAME_INFO", "_OBJECT_HEADER_CREATOR_INFO", "_KTRAP_FRAME"];

    /// <summary>The kernel symbols the tool needs (RVAs from the image base).</summary>
    public static readonly IReadOnlyList<string> RequiredSymbols =
    [
        "KiSystemCall64", "KiSystemCall64Shadow", "KiSystemServiceUser", "KiSystemServiceCopyEnd", "KiSystemServiceExit",
        "KeServiceDescriptorTable", "KeServiceDescriptorTableShadow", "KiServiceLimit", "ObTypeIndexTable", "ObHeaderCookie", "NtBuildNumber",
        "PsActiveProcessHead", "ObpKernelHandleTable",
    ];

    private readonly Dictionary<string, uint> _offsets = new(StringComparer.Ordinal);

    public WindowsProfile(IsfFile isf)
    {
        Isf = isf;
        var missing = new List<string>();
        foreach (var (type, field) in RequiredFields)
        {
            if (isf.TryGetField(type, field, out var loc)) _offsets[$"{type}.{field}"] = loc.Offset;
            else missing.Add($"{type}.{field}");
        }
        foreach (var t in RequiredSizes) if (!isf.TryGetType(t, out _)) missing.Add(t);
        foreach (var s in RequiredSymbols) if (!isf.TryGetSymbol(s, out _)) missing.Add(s);
        Missing = missing;

        KpcrPrcb = Off("_KPCR.Prcb");
        KpcrUserRsp = Off("_KPCR.UserRsp");
        KprcbCurrentThread = Off("_KPRCB.CurrentThread");
        EthreadCid = Off("_ETHREAD.Cid");
        CidProcess = Off("_CLIENT_ID.UniqueProcess");
        CidThread = Off("_CLIENT_ID.UniqueThread");
        KthreadApcProcess = Off("_KTHREAD.ApcState.Process");
        KthreadTrapFrame = Off("_KTHREAD.TrapFrame");
        TrapFrameRsp = Off("_KTRAP_FRAME.Rsp");
        EprocessPid = Off("_EPROCESS.UniqueProcessId");
        EprocessParentPid = Off("_EPROCESS.InheritedFromUniqueProcessId");
        EprocessImageFileName = Off("_EPROCESS.ImageFileName");
        ImageFileNameSize = isf.TryGetField("_EPROCESS", "ImageFileName", out var ifn) ? ifn.Size : 15;
        EprocessPeb = Off("_EPROCESS.Peb");
        EprocessObjectTable = Off("_EPROCESS.ObjectTable");
        PebProcessParameters = Off("_PEB.ProcessParameters");
        ParamsImagePathName = Off("_RTL_USER_PROCESS_PARAMETERS.ImagePathName");
        ParamsCommandLine = Off("_RTL_USER_PROCESS_PARAMETERS.CommandLine");
        UnicodeString = new UnicodeStringLayout(Off("_UNICODE_STRING.Length"), Off("_UNICODE_STRING.Buffer"), Size("_UNICODE_STRING"));
        ObjAttrRootDirectory = Off("_OBJECT_ATTRIBUTES.RootDirectory");
        ObjAttrObjectName = Off("_OBJECT_ATTRIBUTES.ObjectName");
        HandleTableTableCode = Off("_HANDLE_TABLE.TableCode");
        HandleEntrySize = Size("_HANDLE_TABLE_ENTRY");
        HandleEntryObjectPointer = isf.TryGetField("_HANDLE_TABLE_ENTRY", "ObjectPointerBits", out var opb) ? opb : default;
        ObjectHeaderTypeIndex = Off("_OBJECT_HEADER.TypeIndex");
        ObjectHeaderInfoMask = Off("_OBJECT_HEADER.InfoMask");
        ObjectHeaderBody = Off("_OBJECT_HEADER.Body");
        NameInfoName = Off("_OBJECT_HEADER_NAME_INFO.Name");
        NameInfoSize = Size("_OBJECT_HEADER_NAME_INFO");
        CreatorInfoSize = Size("_OBJECT_HEADER_CREATOR_INFO");
        ObjectTypeName = Off("_OBJECT_TYPE.Name");
        FileObjectFileName = Off("_FILE_OBJECT.FileName");
        KeyBodyKcb = Off("_CM_KEY_BODY.KeyControlBlock");
        KcbNameBlock = Off("_CM_KEY_CONTROL_BLOCK.NameBlock");
        KcbParent = Off("_CM_KEY_CONTROL_BLOCK.ParentKcb");
        NcbCompressed = isf.TryGetField("_CM_NAME_CONTROL_BLOCK", "Compressed", out var comp) ? comp : default;
        NcbNameLength = Off("_CM_NAME_CONTROL_BLOCK.NameLength");
        NcbName = Off("_CM_NAME_CONTROL_BLOCK.Name");
        KuserNtBuildNumber = Off("_KUSER_SHARED_DATA.NtBuildNumber");
    }

    public IsfFile Isf { get; }

    /// <summary>Names (TYPE.FIELD, TYPE or symbol) the profile lacks.</summary>
    public IReadOnlyList<string> Missing { get; }

    public bool Has(string typeDotField) => _offsets.ContainsKey(typeDotField);

    public IReadOnlyDictionary<string, uint> Offsets => _offsets;

    private uint Off(string key) => _offsets.TryGetValue(key, out var o) ? o : 0;

    private uint Size(string type) => Isf.TryGetType(type, out var t) ? t.Size : 0;

    public uint KpcrPrcb { get; }
    public uint KpcrUserRsp { get; }
    public uint KprcbCurrentThread { get; }
    public uint EthreadCid { get; }
    public uint CidProcess { get; }
    public uint CidThread { get; }
    public uint KthreadApcProcess { get; }
    public uint KthreadTrapFrame { get; }
    public uint TrapFrameRsp { get; }
    public uint EprocessPid { get; }
    public uint EprocessParentPid { get; }
    public uint EprocessImageFileName { get; }
    public int ImageFileNameSize { get; }
    public uint EprocessPeb { get; }
    public uint EprocessObjectTable { get; }
    public uint PebProcessParameters { get; }
    public uint ParamsImagePathName { get; }
    public uint ParamsCommandLine { get; }
    public UnicodeStringLayout UnicodeString { get; }
    public uint ObjAttrRootDirectory { get; }
    public uint ObjAttrObjectName { get; }
    public uint HandleTableTableCode { get; }
    public uint HandleEntrySize { get; }
    public FieldLocation HandleEntryObjectPointer { get; }
    public uint ObjectHeaderTypeIndex { get; }
    public uint ObjectHeaderInfoMask { get; }
    public uint ObjectHeaderBody { get; }
    public uint NameInfoName { get; }
    public uint NameInfoSize { get; }
    public uint CreatorInfoSize { get; }
    public uint ObjectTypeName { get; }
    public uint FileObjectFileName { get; }
    public uint KeyBodyKcb { get; }
    public uint KcbNameBlock { get; }
    public uint KcbParent { get; }
    public FieldLocation NcbCompressed { get; }
    public uint NcbNameLength { get; }
    public uint NcbName { get; }
    public uint KuserNtBuildNumber { get; }

    /// <summary>KUSER_SHARED_DATA's fixed kernel address on x64 (architectural, the same in every build).</summary>
    public const ulong KuserSharedData = 0xFFFF_F780_0000_0000UL;
}
