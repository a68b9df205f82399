using System.Globalization;
using System.Text.Json;
using Alkanet.Analysis.Events;
using Alkanet.Analysis.Model;
using Alkanet.Core.Json;
using Alkanet.Core.Records;

namespace Alkanet.Analysis.Importers;

/// <summary>
/// Reads a CAPE sandbox <c>report.json</c>: <c>behavior.processes[].calls[]</c> are user-mode API calls, mapped to
/// what a system-call tracer would see (WriteProcessMemory → NtWriteVirtualMemory, CreateRemoteThread →
/// NtCreateThreadEx, RegSetValueExW → NtSetValueKey, CreateProcessInternalW → NtCreateUserProcess...; native Nt*
/// calls keep their names) with arguments renamed to the shared vocabulary. Calls are numbered in time order.
/// </summary>
public static class CapeImporter
{
    private sealed record Call(string Ts, int ProcessIndex, int Index, ulong Pid, JsonElement Element);

    public static LogInput.Result Read(string path, ICallEventSink sink, bool skipBad = false)
    {
        JsonDocument doc;
        try
        {
            using var s = LogStreams.OpenRead(path);
            doc = JsonDocument.Parse(s, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException ex)
        {
            throw new LogFormatException(new LogFormatError(path, (ex.LineNumber ?? 0) + 1, ex.BytePositionInLine ?? 0,
                $"not a CAPE report: malformed JSON: {ex.Message}"), ex);
        }
        catch (InvalidDataException ex)
        {
            throw new LogFormatException(new LogFormatError(path, 0, 0, $"damaged compressed data: {ex.Message}"), ex);
        }
        catch (EndOfStreamException ex)
        {
            throw new LogFormatException(new LogFormatError(path, 0, 0, $"truncated compressed data: {ex.Message}"), ex);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("behavior", out var behavior) || behavior.ValueKind != JsonValueKind.Object
                || !behavior.TryGetProperty("processes", out var processes) || processes.ValueKind != JsonValueKind.Array)
                throw new LogFormatException(new LogFormatError(path, 0, 0, "CAPE report has no behavior.processes (was behavioural analysis run?)"));

            var result = new LogInput.Result { Format = InputFormat.Cape };
            var commandLines = new Dictionary<ulong, string>();
            if (behavior.TryGetProperty("processtree", out var tree)) CollectCommandLines(tree, commandLines);

            var calls = new List<Call>();
            var facts = new List<(ulong Pid, ulong? Ppid, string Name, string? Image, string? FirstTs)>();
            var pi = 0;
            var index = -1;
            foreach (var p in processes.EnumerateArray())
            {
                index++;
                if (p.ValueKind != JsonValueKind.Object) continue;
                var at = $"$.behavior.processes[{index}]";
                ulong pid;
                ulong? ppid;
                string name;
                string? image;
                JsonElement? cs;
                try
                {
                    pid = ImportedFields.Required(ImportedFields.Id(p, "process_id", at), at + ".process_id", "the process's id");
                    ppid = ImportedFields.Id(p, "parent_id", at);
                    name = ImportedFields.Text(p, "process_name", at) ?? "";
                    image = ImportedFields.Text(p, "module_path", at);
                    cs = ImportedFields.Array(p, "calls", at);
                }
                catch (BadFieldException ex)
                {
                    ImportedFields.Reject(path, 0, 0, ex.Message, skipBad, result); // the process and its calls are left out
                    continue;
                }
                string? firstTs = null;
                if (cs is { } callArray)
                {
                    var ci = 0;
                    var callIndex = -1;
                    foreach (var c in callArray.EnumerateArray())
                    {
                        callIndex++;
                        if (c.ValueKind != JsonValueKind.Object) continue;
                        string ts;
                        try
                        {
                            ts = CheckCall(c, $"{at}.calls[{callIndex}]");
                        }
                        catch (BadFieldException ex)
                        {
                            ImportedFields.Reject(path, 0, 0, ex.Message, skipBad, result);
                            continue;
                        }
                        firstTs ??= ts;
                        calls.Add(new Call(ts, pi, ci++, pid, c));
                    }
                }
                facts.Add((pid, ppid, name, image, firstTs));
                if (pi == 0) result.SuggestedSample = "0x" + pid.ToString("x", CultureInfo.InvariantCulture);
                pi++;
            }
            calls.Sort((a, b) =>
            {
                var c = string.CompareOrdinal(a.Ts, b.Ts);
                if (c != 0) return c;
                c = a.ProcessIndex.CompareTo(b.ProcessIndex);
                return c != 0 ? c : a.Index.CompareTo(b.Index);
            });

            // Each process entry is one lifetime, announced before any call so that calls naming it (OpenProcess of its
            // pid) find it, with the number its first call will get so that its creation call merges with it. A pid that
            // a later entry reuses starts a new lifetime just before that entry's first call (entries of one pid cannot
            // overlap in time).
            var firstNo = new long[facts.Count];
            Array.Fill(firstNo, -1);
            for (var i = 0; i < calls.Count; i++)
                if (firstNo[calls[i].ProcessIndex] < 0) firstNo[calls[i].ProcessIndex] = i + 1;
            var announced = new bool[facts.Count];
            var pidsSeen = new HashSet<ulong>();
            void Announce(int i, bool newLifetime)
            {
                announced[i] = true;
                var f = facts[i];
                sink.OnProcessFact(new ProcessFact(f.Pid, f.Ppid, f.Name, f.Image, commandLines.GetValueOrDefault(f.Pid), firstNo[i],
                    ParseTs(f.FirstTs), newLifetime));
            }
            for (var i = 0; i < facts.Count; i++)
                if (pidsSeen.Add(facts[i].Pid)) Announce(i, false);
            long no = 0;
            var e = new CallEvent();
            foreach (var call in calls)
            {
                no++;
                if (!announced[call.ProcessIndex]) Announce(call.ProcessIndex, true);
                if (!Map(call, e, no, facts[call.ProcessIndex].Name)) continue;
                sink.OnEvent(e);
            }
            for (var i = 0; i < facts.Count; i++)
                if (!announced[i]) Announce(i, true);
            result.Records = no;
            return result;
        }
    }

    /// <summary>The call's fields that are read later must have their types; returns its timestamp.</summary>
    private static string CheckCall(JsonElement c, string at)
    {
        ImportedFields.Text(c, "api", at);
        ImportedFields.Integer(c, "thread_id", at);
        ImportedFields.Array(c, "arguments", at);
        return ImportedFields.Text(c, "timestamp", at) ?? "";
    }

    private static void CollectCommandLines(JsonElement nodes, Dictionary<ulong, string> into)
    {
        if (nodes.ValueKind != JsonValueKind.Array) return;
        foreach (var n in nodes.EnumerateArray())
        {
            if (n.ValueKind != JsonValueKind.Object) continue;
            if (n.TryGetProperty("environ", out var env) && env.ValueKind == JsonValueKind.Object && Str(env, "CommandLine") is { } cmd)
                into[(ulong)Num(n, "pid")] = cmd.Trim();
            if (n.TryGetProperty("children", out var ch)) CollectCommandLines(ch, into);
        }
    }

    private static long? ParseTs(string? ts) =>
        DateTime.TryParseExact(ts, "yyyy-MM-dd HH:mm:ss,fff", CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var d)
            ? (d - DateTime.UnixEpoch).Ticks * 100
            : null;

    private static long Num(JsonElement o, string name)
    {
        if (o.ValueKind != JsonValueKind.Object || !o.TryGetProperty(name, out var v)) return 0;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n)) return n;
        if (v.ValueKind == JsonValueKind.String && long.TryParse(v.GetString(), CultureInfo.InvariantCulture, out n)) return n;
        return 0;
    }

    private static string? Str(JsonElement o, string name) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out var v)
            ? v.ValueKind == JsonValueKind.String ? v.GetString()
                : v.ValueKind is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False ? v.GetRawText()
                : null
            : null;

    /// <summary>User-mode APIs → the native call a system-call tracer would have seen.</summary>
    private static readonly Dictionary<string, string> ApiToNative = new(StringComparer.Ordinal)
    {
        ["WriteProcessMemory"] = "NtWriteVirtualMemory",
        ["ReadProcessMemory"] = "NtReadVirtualMemory",
        ["CreateRemoteThread"] = "NtCreateThreadEx",
        ["CreateRemoteThreadEx"] = "NtCreateThreadEx",
        ["CreateThread"] = "NtCreateThreadEx",
        ["RtlCreateUserThread"] = "NtCreateThreadEx",
        ["RegSetValueExW"] = "NtSetValueKey",
        ["RegSetValueExA"] = "NtSetValueKey",
        ["RegOpenKeyExW"] = "NtOpenKey",
        ["RegOpenKeyExA"] = "NtOpenKey",
        ["RegCreateKeyExW"] = "NtCreateKey",
        ["RegCreateKeyExA"] = "NtCreateKey",
        ["RegQueryValueExW"] = "NtQueryValueKey",
        ["RegQueryValueExA"] = "NtQueryValueKey",
        ["RegDeleteKeyW"] = "NtDeleteKey",
        ["RegDeleteKeyA"] = "NtDeleteKey",
        ["RegDeleteValueW"] = "NtDeleteValueKey",
        ["RegDeleteValueA"] = "NtDeleteValueKey",
        ["RegCloseKey"] = "NtClose",
        ["CloseHandle"] = "NtClose",
        ["CreateProcessInternalW"] = "NtCreateUserProcess",
        ["CreateProcessInternalA"] = "NtCreateUserProcess",
        ["DeleteFileW"] = "NtDeleteFile",
        ["DeleteFileA"] = "NtDeleteFile",
        ["MoveFileWithProgressW"] = "NtSetInformationFile",
        ["MoveFileWithProgressTransactedW"] = "NtSetInformationFile",
        ["MoveFileExW"] = "NtSetInformationFile",
        ["CopyFileW"] = "NtCreateFile",
        ["CopyFileExW"] = "NtCreateFile",
        ["CopyFileA"] = "NtCreateFile",
        ["CreateMutexW"] = "NtCreateMutant",
        ["CreateMutexA"] = "NtCreateMutant",
        ["CreateMutexExW"] = "NtCreateMutant",
        ["OpenProcess"] = "NtOpenProcess",
        ["OpenThread"] = "NtOpenThread",
        ["VirtualAllocEx"] = "NtAllocateVirtualMemory",
        ["VirtualProtectEx"] = "NtProtectVirtualMemory",
        ["QueueUserAPC"] = "NtQueueApcThread",
        ["SetThreadContext"] = "NtSetContextThread",
        ["ResumeThread"] = "NtResumeThread",
        ["SuspendThread"] = "NtSuspendThread",
        ["Wow64SetThreadContext"] = "NtSetContextThread",
        ["NtQueueApcThreadEx"] = "NtQueueApcThread",
        ["IsDebuggerPresent"] = "NtQueryInformationProcess",
        ["CheckRemoteDebuggerPresent"] = "NtQueryInformationProcess",
        ["CreateServiceW"] = "NtSetValueKey",
        ["CreateServiceA"] = "NtSetValueKey",
        ["connect"] = "NtDeviceIoControlFile",
        ["WSAConnect"] = "NtDeviceIoControlFile",
        ["InternetConnectW"] = "NtDeviceIoControlFile",
        ["InternetConnectA"] = "NtDeviceIoControlFile",
        ["Sleep"] = "NtDelayExecution",
        ["SleepEx"] = "NtDelayExecution",
    };

    /// <summary>The native call a user-mode API comes down to (native Nt*/Zw* calls keep their names); null when unknown.
    /// DRAKVUF's apimon lines are mapped with it too.</summary>
    internal static string? NativeName(string api) =>
        api.StartsWith("Nt", StringComparison.Ordinal) || api.StartsWith("Zw", StringComparison.Ordinal)
            ? "Nt" + api[2..]
            : ApiToNative.GetValueOrDefault(api);

    /// <summary>CAPE argument names → the shared vocabulary (docs/RECORD.md).</summary>
    private static readonly Dictionary<string, string> ArgNames = new(StringComparer.Ordinal)
    {
        ["ProcessHandle"] = "process_handle",
        ["ThreadHandle"] = "thread_handle",
        ["SectionHandle"] = "section_handle",
        ["DesiredAccess"] = "desired_access",
        ["CreateDisposition"] = "create_disposition",
        ["CreateOptions"] = "create_options",
        ["ShareAccess"] = "share_access",
        ["FileAttributes"] = "file_attributes",
        ["BaseAddress"] = "base_address",
        ["RegionSize"] = "region_size",
        ["Protection"] = "protect",
        ["NewAccessProtection"] = "new_protect",
        ["MutexName"] = "mutant_name",
        ["MutantName"] = "mutant_name",
        ["ValueName"] = "value_name",
        ["Type"] = "value_type",
        ["Buffer"] = "data",
        ["CommandLine"] = "command_line",
        ["ApplicationName"] = "image_name",
        ["ImagePathName"] = "image_name",
        ["StartRoutine"] = "start_address",
        ["StartAddress"] = "start_address",
        ["ApcRoutine"] = "apc_routine",
        ["BufferLength"] = "size",
    };

    /// <summary>CAPE's <c>Buffer</c> of a write is its escaped, shortened text of the bytes, not the bytes the vocabulary's
    /// <c>data</c> carries for writes (base64, docs/RECORD.md): it is kept as <c>buffer</c>, so the evidence trackers
    /// never take it for captured bytes.</summary>
    private static void MoveBuffer(AdditionalInfo info)
    {
        if (!info.TryGet("data", out var text)) return;
        info.Remove("data");
        info.Set("buffer", text);
    }

    private static bool Map(Call call, CallEvent e, long no, string processName)
    {
        var c = call.Element;
        var api = Str(c, "api");
        if (string.IsNullOrEmpty(api)) return false;
        var native = NativeName(api);
        e.Info = new AdditionalInfo();
        e.No = no;
        e.ExitNo = no;
        e.Pid = call.Pid;
        e.Tid = ulong.TryParse(Str(c, "thread_id"), CultureInfo.InvariantCulture, out var tid) ? tid : 0;
        e.ParentPid = null;
        e.ProcSeq = null;
        e.ProcName = processName;
        e.Name = native ?? api;
        e.TimestampNs = ParseTs(Str(c, "timestamp"));
        e.IsForkChildReturn = false;
        var status = !c.TryGetProperty("status", out var st) || st.ValueKind != JsonValueKind.False;
        var ret = Model.Paths.Hex(Str(c, "return")) ?? 0;
        e.HasReturn = true;
        e.RetVal = native is not null && api.StartsWith("Nt", StringComparison.Ordinal) ? ret : status ? 0 : 0xC0000001; // STATUS_UNSUCCESSFUL

        var args = new Dictionary<string, string>(StringComparer.Ordinal);
        if (c.TryGetProperty("arguments", out var arr) && arr.ValueKind == JsonValueKind.Array)
            foreach (var a in arr.EnumerateArray())
                if (Str(a, "name") is { } n && Str(a, "value") is { } v) args[n] = v;
        var info = e.Info;
        foreach (var (name, value) in args)
        {
            if (ArgNames.TryGetValue(name, out var mapped)) info.Set(mapped, IsHexArg(mapped) ? HexText(value) : value);
        }
        switch (e.Name)
        {
            case "NtCreateFile" or "NtOpenFile":
                if (api.StartsWith("CopyFile", StringComparison.Ordinal))
                {
                    Set(info, "object_name", args.GetValueOrDefault("NewFileName"));
                    info.Set("create_disposition", "5");
                }
                else Set(info, "object_name", args.GetValueOrDefault("FileName"));
                SetHex(info, "out_handle", args.GetValueOrDefault("FileHandle"));
                break;
            case "NtWriteFile" or "NtSetInformationFile":
                MoveBuffer(info);
                SetHex(info, "file_handle", args.GetValueOrDefault("FileHandle"));
                Set(info, "object_name",
                    args.GetValueOrDefault("HandleName") ?? args.GetValueOrDefault("FileName") ?? args.GetValueOrDefault("ExistingFileName"));
                if (args.GetValueOrDefault("NewFileName") is { } nn)
                {
                    info.Set("new_name", nn);
                    info.Set("info_class_name", "FileRenameInformation");
                }
                if (args.TryGetValue("FileInformationClass", out var fic)) info.Set("info_class", HexText(fic));
                break;
            case "NtWriteVirtualMemory":
                MoveBuffer(info);
                break;
            case "NtDeleteFile":
                Set(info, "object_name", args.GetValueOrDefault("FileName"));
                break;
            case "NtOpenKey" or "NtOpenKeyEx" or "NtCreateKey":
                Set(info, "object_name", args.GetValueOrDefault("FullName") ?? args.GetValueOrDefault("ObjectAttributesName"));
                SetHex(info, "out_handle", args.GetValueOrDefault("KeyHandle") ?? args.GetValueOrDefault("Handle"));
                break;
            case "NtSetValueKey" or "NtDeleteValueKey" or "NtDeleteKey" or "NtQueryValueKey":
                if (api.StartsWith("CreateService", StringComparison.Ordinal))
                {
                    info.Set("object_name",
                        "\\REGISTRY\\MACHINE\\SYSTEM\\CurrentControlSet\\Services\\" + args.GetValueOrDefault("ServiceName", "?"));
                    info.Set("value_name", "ImagePath");
                    Set(info, "data", args.GetValueOrDefault("BinaryPathName"));
                    break;
                }
                SetHex(info, "key_handle", args.GetValueOrDefault("KeyHandle") ?? args.GetValueOrDefault("Handle"));
                var full = args.GetValueOrDefault("FullName");
                var value = args.GetValueOrDefault("ValueName");
                if (full is not null && e.Name != "NtDeleteKey" && value is not null
                    && full.EndsWith("\\" + value, StringComparison.OrdinalIgnoreCase))
                    full = full[..^(value.Length + 1)];
                Set(info, "object_name", full);
                break;
            case "NtCreateUserProcess":
                SetHex(info, "out_handle", args.GetValueOrDefault("ProcessHandle"));
                SetHex(info, "out_thread_handle", args.GetValueOrDefault("ThreadHandle"));
                info.Remove("process_handle");
                info.Remove("thread_handle");
                if (args.GetValueOrDefault("ProcessId") is { } np) SetDec(info, "new_pid", np);
                if (args.GetValueOrDefault("ThreadId") is { } nt) SetDec(info, "new_tid", nt);
                if ((Model.Paths.Hex(args.GetValueOrDefault("CreationFlags")) ?? 0) is var cf && (cf & 4) != 0)
                    info.Set("flags_names", "CREATE_SUSPENDED");
                if (string.IsNullOrEmpty(info["image_name"]))
                {
                    // CreateProcessInternalW often has an empty ApplicationName: the program is the command line's first word.
                    var program = args.GetValueOrDefault("FilePath") is { Length: > 0 } fp ? fp : FirstWord(args.GetValueOrDefault("CommandLine"));
                    if (program is null) info.Remove("image_name");
                    else info.Set("image_name", program);
                }
                break;
            case "NtOpenProcess" or "NtOpenThread":
                SetHex(info, "out_handle", args.GetValueOrDefault(e.Name == "NtOpenProcess" ? "ProcessHandle" : "ThreadHandle"));
                info.Remove("process_handle");
                info.Remove("thread_handle");
                if ((args.GetValueOrDefault("ProcessIdentifier") ?? args.GetValueOrDefault("ProcessId")) is { } tp) SetDec(info, "target_pid", tp);
                if ((args.GetValueOrDefault("ThreadIdentifier") ?? args.GetValueOrDefault("ThreadId")) is { } tt) SetDec(info, "target_tid", tt);
                break;
            case "NtCreateThreadEx":
                SetHex(info, "out_handle", args.GetValueOrDefault("ThreadHandle"));
                info.Remove("thread_handle");
                if (api == "CreateThread") info.Set("process_handle", "ffffffffffffffff");
                if (args.GetValueOrDefault("ThreadId") is { } ntid) SetDec(info, "new_tid", ntid);
                break;
            case "NtCreateSection" or "NtOpenSection":
                SetHex(info, "out_handle", args.GetValueOrDefault("SectionHandle"));
                info.Remove("section_handle");
                SetHex(info, "file_handle", args.GetValueOrDefault("FileHandle"));
                Set(info, "object_name", args.GetValueOrDefault("ObjectAttributes") is { Length: > 0 } oa ? oa : null);
                break;
            case "NtCreateMutant":
                Set(info, "mutant_name",
                    args.GetValueOrDefault("MutexName") ?? args.GetValueOrDefault("MutantName") ?? args.GetValueOrDefault("ObjectAttributes"));
                break;
            case "NtDelayExecution":
                var ms = args.GetValueOrDefault("Milliseconds") ?? args.GetValueOrDefault("dwMilliseconds");
                if (long.TryParse(ms, CultureInfo.InvariantCulture, out var msv))
                    info.Set("interval_100ns", (-msv * 10_000).ToString(CultureInfo.InvariantCulture));
                break;
            case "NtQueryInformationProcess" or "NtSetInformationThread" or "NtQuerySystemInformation":
                if (api is "IsDebuggerPresent" or "CheckRemoteDebuggerPresent") { info.Set("info_class_name", "ProcessDebugPort"); break; }
                var cls = args.GetValueOrDefault("ProcessInformationClass")
                    ?? args.GetValueOrDefault("ThreadInformationClass")
                    ?? args.GetValueOrDefault("SystemInformationClass");
                if (long.TryParse(cls, CultureInfo.InvariantCulture, out var cn) && InfoClassName(e.Name, cn) is { } className)
                    info.Set("info_class_name", className);
                break;
            case "NtDeviceIoControlFile":
                var ip = args.GetValueOrDefault("ip") ?? args.GetValueOrDefault("ServerName");
                var port = args.GetValueOrDefault("port") ?? args.GetValueOrDefault("ServerPort");
                if (ip is not null) info.Set("remote_address", port is null ? ip : $"{ip}:{port}");
                break;
            case "NtClose":
                SetHex(info, "handle", args.GetValueOrDefault("Handle") ?? args.GetValueOrDefault("hObject") ?? args.GetValueOrDefault("KeyHandle"));
                break;
            case "NtLoadDriver":
                Set(info, "driver_service_name", args.GetValueOrDefault("DriverServiceName"));
                break;
        }
        return true;
    }

    /// <summary>The program of a command line: its first word, or its first quoted part.</summary>
    internal static string? FirstWord(string? commandLine)
    {
        var t = commandLine?.TrimStart();
        if (string.IsNullOrEmpty(t)) return null;
        if (t[0] == '"')
        {
            var end = t.IndexOf('"', 1);
            return end > 1 ? t[1..end] : null;
        }
        var space = t.IndexOfAny([' ', '\t']);
        return space < 0 ? t : t[..space];
    }

    private static string? InfoClassName(string call, long cls) => (call, cls) switch
    {
        ("NtQueryInformationProcess", 7) => "ProcessDebugPort",
        ("NtQueryInformationProcess", 30) => "ProcessDebugObjectHandle",
        ("NtQueryInformationProcess", 31) => "ProcessDebugFlags",
        ("NtSetInformationThread", 17) => "ThreadHideFromDebugger",
        ("NtQuerySystemInformation", 5) => "SystemProcessInformation",
        ("NtQuerySystemInformation", 11) => "SystemModuleInformation",
        ("NtQuerySystemInformation", 35) => "SystemKernelDebuggerInformation",
        ("NtQuerySystemInformation", 76) => "SystemFirmwareTableInformation",
        _ => null,
    };

    private static bool IsHexArg(string mapped) =>
        mapped.EndsWith("_handle", StringComparison.Ordinal) || mapped is "desired_access" or "create_disposition"
        or "create_options" or "share_access" or "file_attributes" or "base_address" or "region_size" or "protect" or "new_protect" or "size";

    private static string HexText(string v)
    {
        var t = v.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? v[2..] : v;
        return ulong.TryParse(t, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var n) ? n.ToString("x", CultureInfo.InvariantCulture) : v;
    }

    private static void Set(AdditionalInfo info, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value)) info.Set(name, value);
    }

    private static void SetHex(AdditionalInfo info, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value)) info.Set(name, HexText(value));
    }

    private static void SetDec(AdditionalInfo info, string name, string value)
    {
        if (ulong.TryParse(value, CultureInfo.InvariantCulture, out var n)) info.Set(name, n.ToString("x", CultureInfo.InvariantCulture));
    }
}
