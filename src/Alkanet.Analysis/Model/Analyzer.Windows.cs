using Alkanet.Analysis.Events;

namespace Alkanet.Analysis.Model;

/// <summary>What Windows native calls mean for the tree, the spread and the behaviour.</summary>
public sealed partial class Analyzer
{
    private static void WinCreateProcess(Analyzer a, CallEvent e, ProcessNode p)
    {
        if (e.Failed) return;
        if (Paths.Hex(e["new_pid"]) is not { } newPid)
        {
            // The log names the program but not the new process (an importer's user-mode view): behaviour only.
            var program = e["image_name"] ?? e["command_line"];
            if (program is null) return;
            var shown = Paths.Display(Paths.SplitRooted(program).Name);
            var created = a.Behaviour(p, e, BehaviourKinds.ProcessCreate, shown, e["command_line"]);
            if (WindowsMimicry(shown) is not null) created?.AddTag("masquerade");
            a.Command(p, e, shown, e["command_line"], windows: true);
            return;
        }
        var child = a.CreateChild(p, e, newPid);
        var image = e["image_name"] ?? e["file_name"];
        if (image is not null) child.Image = Paths.Display(Paths.SplitRooted(image).Name);
        child.CommandLine = e["command_line"] ?? child.CommandLine;
        if (child.Image is not null && (string.IsNullOrEmpty(child.Name) || child.FirstNo < 0)) child.Name = Paths.BaseName(child.Image);
        var flags = (e["thread_flags_names"] ?? "") + "|" + (e["flags_names"] ?? "") + "|" + (e["create_flags_names"] ?? "");
        child.CreatedSuspended |= flags.Contains("SUSPENDED", StringComparison.OrdinalIgnoreCase); // either creation call may say so
        a.SetHandle(p, e["out_handle"], new HandleInfo(HandleKind.Process, child.Seq, null, child.Image));
        var newTid = Paths.Hex(e["new_tid"]);
        if (newTid is { } nt) { child.Threads.Add(nt); a._threadOwner[nt] = child; }
        a.SetHandle(p, e["out_thread_handle"], new HandleInfo(HandleKind.Thread, child.Seq, newTid, null));
        var item = a.Behaviour(p, e, BehaviourKinds.ProcessCreate, child.Image ?? child.Name, child.CommandLine);
        if (WindowsMimicry(child.Image ?? child.Name) is not null) item?.AddTag("masquerade");
        a.Command(p, e, child.Image ?? child.Name, child.CommandLine, windows: true);
    }

    private static void WinOpenProcess(Analyzer a, CallEvent e, ProcessNode p)
    {
        if (e.Failed) return;
        var target = Paths.Hex(e["target_pid"]) is { } tp ? (tp == p.Pid ? p : a._byPid.GetValueOrDefault(tp)) : null;
        if (target is null && e["target_name"] is { Length: > 0 } name && Paths.Hex(e["target_pid"]) is { } opened)
        {   // The tracer named a process that made no call in the log yet (it ran before the trace, or is idle): it exists.
            target = a.NewNode(opened);
            target.Name = name;
        }
        if (target is null) return;
        a.SetHandle(p, e["out_handle"], new HandleInfo(HandleKind.Process, target.Seq, null, target.Image ?? target.Name));
        a.Spread(SpreadKinds.ProcessOpen, p, e, target, detail: e["desired_access_names"] ?? e["desired_access"]);
        // Which process another one opens, and for what, says more than the edge (credential dumping opens LSASS).
        if (target != p)
            a.Behaviour(p, e, BehaviourKinds.ProcessAccess, target.Image ?? target.Name, e["desired_access_names"] ?? e["desired_access"]);
    }

    private static void WinOpenThread(Analyzer a, CallEvent e, ProcessNode p)
    {
        if (e.Failed) return;
        var (owner, tid) = a.TargetThread(e, p);
        if (owner is null) return;
        a.SetHandle(p, e["out_handle"], new HandleInfo(HandleKind.Thread, owner.Seq, tid, null));
        a.Spread(SpreadKinds.ThreadOpen, p, e, owner, tid, e["desired_access_names"]);
    }

    private static void WinAllocate(Analyzer a, CallEvent e, ProcessNode p)
    {
        if (e.Failed) return;
        a.Spread(SpreadKinds.MemoryAlloc, p, e, a.TargetProcess(e, p), detail: e["protect_names"] ?? e["protect"]);
    }

    private static void WinWrite(Analyzer a, CallEvent e, ProcessNode p)
    {
        if (e.Failed) return;
        var target = a.TargetProcess(e, p);
        a.Spread(SpreadKinds.MemoryWrite, p, e, target, detail: e["size"] ?? e["bytes_written"]);
        a.NoteWrittenData(p, target, e);
    }

    private static void WinProtect(Analyzer a, CallEvent e, ProcessNode p)
    {
        if (e.Failed) return;
        a.Spread(SpreadKinds.MemoryProtect, p, e, a.TargetProcess(e, p), detail: e["new_protect_names"] ?? e["new_protect"]);
    }

    private static void WinMapView(Analyzer a, CallEvent e, ProcessNode p)
    {
        if (e.Failed) return;
        var section = a.GetHandle(p, e["section_handle"]);
        a.Spread(SpreadKinds.SectionMap, p, e, a.TargetProcess(e, p), detail: section?.Name ?? e["object_name"]);
    }

    private static void WinUnmapView(Analyzer a, CallEvent e, ProcessNode p)
    {
        if (e.Failed) return;
        a.Spread(SpreadKinds.SectionUnmap, p, e, a.TargetProcess(e, p));
    }

    private static void WinCreateThread(Analyzer a, CallEvent e, ProcessNode p)
    {
        if (e.Failed) return;
        var target = a.TargetProcess(e, p) ?? p;
        var newTid = Paths.Hex(e["new_tid"]);
        if (newTid is { } nt && !target.Threads.Contains(nt)) { target.Threads.Add(nt); a._threadOwner[nt] = target; }
        a.SetHandle(p, e["out_handle"], new HandleInfo(HandleKind.Thread, target.Seq, newTid, null));
        if (target != p)
            a.Spread(SpreadKinds.ThreadCreate, p, e, target, newTid, e["start_address"], "remote thread");
        else if (a._injectedThreads.TryGetValue((p.Seq, e.Tid), out var by) && newTid is { } t2)
            a.AttributeThread(p, t2, by); // a thread started by injected code runs injected code too
    }

    private static void WinQueueApc(Analyzer a, CallEvent e, ProcessNode p)
    {
        if (e.Failed) return;
        var (owner, tid) = a.TargetThread(e, p);
        a.Spread(SpreadKinds.ApcQueue, p, e, owner, tid, e["apc_routine"], "APC");
    }

    private static void WinSetContext(Analyzer a, CallEvent e, ProcessNode p)
    {
        if (e.Failed) return;
        var (owner, tid) = a.TargetThread(e, p);
        var technique = owner is { CreatedSuspended: true } && owner.ParentSeq == p.Seq ? "process hollowing" : "thread hijacking";
        a.Spread(SpreadKinds.ContextSet, p, e, owner, tid, null, technique);
    }

    private static void WinResumeThread(Analyzer a, CallEvent e, ProcessNode p)
    {
        if (e.Failed) return;
        var (owner, tid) = a.TargetThread(e, p);
        a.Spread(SpreadKinds.ThreadResume, p, e, owner, tid);
    }

    private static void WinTerminateProcess(Analyzer a, CallEvent e, ProcessNode p)
    {
        var h = Paths.Hex(e["process_handle"] ?? e["handle"]);
        if (h == 0 && e["target_pid"] is null) return; // "all other threads of the caller", not an exit
        var target = a.TargetProcess(e, p);
        if (target is null) return;
        if (target == p) { a.MarkExited(p, e); return; }
        if (e.Failed) return;
        a.MarkExited(target, e);
        a.Behaviour(p, e, BehaviourKinds.ProcessTerminate, target.Image ?? target.Name);
    }

    private static void WinClose(Analyzer a, CallEvent e, ProcessNode p)
    {
        if (Paths.Hex(e["handle"]) is { } h && a._handles.TryGetValue(p.Seq, out var t)) t.Remove(h);
    }

    /// <summary>The object a call names: the resolved <c>object_name</c>, else <c>file_name</c>/<c>key_name</c>
    /// joined to its root handle's name.</summary>
    private string? ObjectPath(CallEvent e, ProcessNode p, string nameField)
    {
        var resolved = e["object_name"];
        if (!string.IsNullOrEmpty(resolved) && !resolved.StartsWith('<')) return resolved;
        var raw = e[nameField];
        if (string.IsNullOrEmpty(raw) || Core.Json.RecordJsonWriter.EndsUnreadable(raw)) return null;
        var (root, name) = Paths.SplitRooted(raw);
        if (root == 0) return name;
        var rootInfo = GetHandle(p, root.ToString("x", System.Globalization.CultureInfo.InvariantCulture));
        return rootInfo?.Name is { } dir ? dir.TrimEnd('\\') + "\\" + name.TrimStart('\\') : name;
    }

    /// <summary>The display form of the object a call names (see <see cref="ObjectPath"/>), without allocating in the
    /// common cases (a resolved <c>object_name</c>, or a name with no root handle). Empty when there is none.</summary>
    private ReadOnlySpan<char> ObjectDisplay(CallEvent e, ProcessNode p, string nameField, Span<char> scratch)
    {
        var resolved = e["object_name"];
        if (!string.IsNullOrEmpty(resolved) && !resolved.StartsWith('<')) return Paths.Display(resolved.AsSpan(), scratch);
        var raw = e[nameField];
        if (string.IsNullOrEmpty(raw) || Core.Json.RecordJsonWriter.EndsUnreadable(raw)) return [];
        var fast = Paths.DisplayRootless(raw, scratch);
        if (!fast.IsEmpty) return fast;
        var joined = ObjectPath(e, p, nameField);
        return joined is null ? [] : Paths.Display(joined);
    }

    // WRITE_DATA, APPEND_DATA, GENERIC_WRITE, GENERIC_ALL, MAXIMUM_ALLOWED
    private const ulong FileWriteAccess = 0x2 | 0x4 | 0x40000000 | 0x10000000 | 0x02000000;

    private static void WinCreateFile(Analyzer a, CallEvent e, ProcessNode p)
    {
        Span<char> scratch = stackalloc char[512];
        var display = a.ObjectDisplay(e, p, "file_name", scratch);
        if (display.IsEmpty) return;
        if (e.Failed)
        {
            // Probing for files that are not there (sandbox artefacts, a second copy) is behaviour too.
            a.Behaviour(p, e, BehaviourKinds.FileOpen, display, null, "failed");
            return;
        }
        var disposition = Paths.Hex(e["create_disposition"]);
        var access = Paths.Hex(e["desired_access"]) ?? 0;
        var options = Paths.Hex(e["create_options"]) ?? 0;
        var dispositionNames = e["create_disposition_names"] ?? "";
        string kind;
        string? detail = null;
        if ((options & 0x1000) != 0) { kind = BehaviourKinds.FileDelete; detail = "delete on close"; }
        else if (disposition is 0 or 2 or 4 or 5
            || dispositionNames.Contains("CREATE", StringComparison.Ordinal) && !dispositionNames.Contains("OPEN_IF", StringComparison.Ordinal))
            kind = BehaviourKinds.FileCreate;
        else if ((access & FileWriteAccess) != 0) kind = BehaviourKinds.FileWrite;
        else kind = BehaviourKinds.FileOpen;
        var hidden = (e["file_attributes_names"] ?? "").Contains("HIDDEN", StringComparison.Ordinal)
            || (Paths.Hex(e["file_attributes"]) is { } attributes && (attributes & 0x2) != 0 && e["file_attributes_names"] is null);
        var item = a.Behaviour(p, e, kind, display, detail, hidden && kind == BehaviourKinds.FileCreate ? "hidden" : null);
        if (e["out_handle"] is { } h) a.SetHandle(p, h, new HandleInfo(HandleKind.File, null, null, item?.Object ?? display.ToString()));
    }

    private static void WinWriteFile(Analyzer a, CallEvent e, ProcessNode p)
    {
        if (e.Failed) return;
        var path = e["object_name"] ?? a.GetHandle(p, e["file_handle"] ?? e["handle"])?.Name;
        if (path is null || path.StartsWith("\\Device\\ConDrv", StringComparison.OrdinalIgnoreCase)) return;
        a.Behaviour(p, e, BehaviourKinds.FileWrite, Paths.Display(path));
    }

    private static void WinDeleteFile(Analyzer a, CallEvent e, ProcessNode p)
    {
        if (e.Failed) return;
        var path = a.ObjectPath(e, p, "file_name");
        if (path is not null) a.Behaviour(p, e, BehaviourKinds.FileDelete, Paths.Display(path));
    }

    private static void WinSetInformationFile(Analyzer a, CallEvent e, ProcessNode p)
    {
        if (e.Failed) return;
        var cls = e["info_class_name"] ?? "";
        var clsNo = Paths.Hex(e["info_class"]);
        var path = e["object_name"] ?? a.GetHandle(p, e["file_handle"] ?? e["handle"])?.Name;
        if (path is null) return;
        if (cls.StartsWith("FileDisposition", StringComparison.Ordinal) || clsNo is 0xd or 0x40 || e["delete"] == "1")
        {
            if (e["delete"] is null or "1") a.Behaviour(p, e, BehaviourKinds.FileDelete, Paths.Display(path));
        }
        else if (cls.StartsWith("FileRename", StringComparison.Ordinal) || clsNo is 0xa or 0x41 || e["new_name"] is not null)
        {
            var newName = e["new_name"];
            var to = newName is null ? null : Paths.Display(Paths.SplitRooted(newName).Name);
            a.Behaviour(p, e, BehaviourKinds.FileRename, Paths.Display(path), to);
            a.NoteRename(p, e, path, to);
        }
        else if (cls == "FileBasicInformation" || clsNo is 0x4)
        {
            // FILE_BASIC_INFORMATION holds the four dates (and the attributes): setting it is how files are timestomped.
            a.Behaviour(p, e, BehaviourKinds.FileTimeChange, Paths.Display(path), cls, "explicit");
        }
    }

    private static void WinOpenKey(Analyzer a, CallEvent e, ProcessNode p)
    {
        if (e.Failed) return;
        Span<char> scratch = stackalloc char[512];
        var display = a.ObjectDisplay(e, p, "key_name", scratch);
        if (display.IsEmpty) return;
        var item = a.Behaviour(p, e,
            e.Name == "NtCreateKey" && e["disposition"] == "1" ? BehaviourKinds.RegistryCreate : BehaviourKinds.RegistryOpen, display);
        if (e["out_handle"] is { } h) a.SetHandle(p, h, new HandleInfo(HandleKind.Key, null, null, item?.Object ?? display.ToString()));
    }

    private static void WinQueryValue(Analyzer a, CallEvent e, ProcessNode p)
    {
        var key = a.KeyOf(e, p);
        if (key is null) return;
        var value = e["value_name"] ?? "";
        Span<char> scratch = stackalloc char[512];
        Span<char> keyScratch = stackalloc char[512];
        // Some loggers give only the value's name as the "full name": keep it bare rather than invent a key.
        var obj = string.Equals(key, value, StringComparison.Ordinal)
            ? value.AsSpan()
            : Paths.Concat(Paths.Display(key.AsSpan(), keyScratch), "\\", value, scratch);
        a.Behaviour(p, e, BehaviourKinds.RegistryOpen, obj, null, e.Failed ? "failed" : null);
    }

    private string? KeyOf(CallEvent e, ProcessNode p) =>
        e["object_name"] ?? GetHandle(p, e["key_handle"] ?? e["handle"])?.Name;

    private static void WinSetValue(Analyzer a, CallEvent e, ProcessNode p)
    {
        if (e.Failed) return;
        var key = a.KeyOf(e, p);
        if (key is null) return;
        var value = e["value_name"] ?? "";
        var display = Paths.Display(key) + "\\" + value;
        a.Behaviour(p, e, BehaviourKinds.RegistrySet, display, e["data"]);
        var m = ServiceKey().Match(display);
        if (m.Success && value.Equals("ImagePath", StringComparison.OrdinalIgnoreCase))
            a.Behaviour(p, e, BehaviourKinds.ServiceCreate, m.Groups[1].Value, e["data"]);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\\(?:CurrentControlSet|ControlSet\d{3})\\Services\\([^\\]+)\\",
        System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex ServiceKey();

    private static void WinDeleteKey(Analyzer a, CallEvent e, ProcessNode p)
    {
        if (e.Failed) return;
        var key = a.KeyOf(e, p);
        if (key is null) return;
        var display = e.Name == "NtDeleteValueKey" ? Paths.Display(key) + "\\" + (e["value_name"] ?? "") : Paths.Display(key);
        a.Behaviour(p, e, BehaviourKinds.RegistryDelete, display);
    }

    private static void WinCreateMutant(Analyzer a, CallEvent e, ProcessNode p)
    {
        if (e.Failed) return;
        var name = e["mutant_name"] ?? a.ObjectPath(e, p, "file_name");
        if (!string.IsNullOrEmpty(name)) a.Behaviour(p, e, BehaviourKinds.MutexCreate, Paths.Display(name));
    }

    private static void WinLoadDriver(Analyzer a, CallEvent e, ProcessNode p)
    {
        var name = e["driver_service_name"] ?? e["file_name"];
        if (name is not null) a.Behaviour(p, e, BehaviourKinds.DriverLoad, Paths.Display(name), e.Failed ? "failed" : null);
    }

    private static void WinDelay(Analyzer a, CallEvent e, ProcessNode p)
    {
        if (Paths.Dec(e["interval_100ns"]) is not { } iv) return;
        var duration = TimeSpan.FromTicks(Math.Abs(iv)); // a tick is 100 ns, like NT's interval
        if (iv < 0 && duration >= a.Options.LongSleep)
            a.Behaviour(p, e, BehaviourKinds.LongSleep, $"{duration.TotalSeconds:0.#} s");
    }

    private static readonly HashSet<string> DebuggerClasses = new(StringComparer.Ordinal)
    {
        "ProcessDebugPort", "ProcessDebugObjectHandle", "ProcessDebugFlags", "ThreadHideFromDebugger",
        "SystemKernelDebuggerInformation", "SystemKernelDebuggerInformationEx",
    };

    private static readonly HashSet<string> ProbeClasses = new(StringComparer.Ordinal)
    {
        "SystemProcessInformation", "SystemModuleInformation", "SystemFirmwareTableInformation",
        "SystemBasicInformation", "SystemCodeIntegrityInformation", "SystemHandleInformation",
        "SystemExtendedHandleInformation", "SystemProcessorInformation",
    };

    private static void WinQueryInformation(Analyzer a, CallEvent e, ProcessNode p)
    {
        var cls = e["info_class_name"];
        if (cls is null) return;
        if (DebuggerClasses.Contains(cls)) a.Behaviour(p, e, BehaviourKinds.AntiDebug, cls, e.Name);
        else if (ProbeClasses.Contains(cls)) a.Behaviour(p, e, BehaviourKinds.SystemProbe, cls, e.Name);
    }

    private static void WinDeviceIo(Analyzer a, CallEvent e, ProcessNode p)
    {
        var remote = e["remote_address"];
        if (!string.IsNullOrEmpty(remote))
        {
            a.Behaviour(p, e, BehaviourKinds.NetworkConnect, remote, e["ioctl_name"]);
            a.NoteSocketUse(p, e, remote); // no local port in an AFD connect's buffer: its flows match by address
        }
        else if (e["local_address"] is { Length: > 0 } local && (e["ioctl_name"] ?? "").Contains("BIND", StringComparison.OrdinalIgnoreCase))
            a.Behaviour(p, e, BehaviourKinds.NetworkListen, local);
    }

    private static void WinCreateSection(Analyzer a, CallEvent e, ProcessNode p)
    {
        if (e.Failed) return;
        var file = a.GetHandle(p, e["file_handle"])?.Name ?? e["object_name"];
        a.SetHandle(p, e["out_handle"], new HandleInfo(HandleKind.Section, null, null, file ?? e["file_name"]));
    }
}
