using System.Globalization;
using System.Text.RegularExpressions;
using Alkanet.Analysis.Events;

namespace Alkanet.Analysis.Model;

/// <summary>What Linux system calls mean for the tree, the spread and the behaviour.</summary>
public sealed partial class Analyzer
{
    private const ulong CloneThread = 0x10000; // CLONE_THREAD

    private static void LxClone(Analyzer a, CallEvent e, ProcessNode p)
    {
        if (e.IsForkChildReturn || !e.HasReturn || e.Failed) return;
        var child = Paths.Hex(e["new_pid"]) ?? e.RetVal;
        if (child == 0) return; // the child's own return
        var flagNames = e["flags_names"] ?? "";
        var flags = Paths.Hex(e["flags"]) ?? 0;
        if ((flags & CloneThread) != 0 || flagNames.Contains("CLONE_THREAD", StringComparison.Ordinal))
        {
            p.Threads.Add(child);
            a._threadOwner[child] = p;
            if (a._injectedThreads.TryGetValue((p.Seq, e.Tid), out var by)) a.AttributeThread(p, child, by);
            return;
        }
        var node = a.CreateChild(p, e, child);
        if (string.IsNullOrEmpty(node.Name)) node.Name = p.Name;
        node.Image ??= p.Image;
        node.CommandLine ??= p.CommandLine;
    }

    private static void LxExecve(Analyzer a, CallEvent e, ProcessNode p)
    {
        if (e.HasReturn && e.Failed) return;
        var path = e["path"] ?? e["fd_path"];
        if (path is null) return;
        var argvJson = e.Info.TryGet("argv", out var argv) ? argv.Text : null;
        var cmd = e["command_line"] ?? ArgvText(argvJson) ?? path;
        p.Image = path;
        p.CommandLine = cmd;
        p.Name = Paths.BaseName(path);
        a._execSeen.Add(p.Seq);
        var item = a.Behaviour(p, e, BehaviourKinds.ProcessCreate, path, cmd);
        // busybox runs some applets as /proc/self/exe with the applet's name in argv[0].
        var argv0 = FirstArgument(argvJson);
        var selfExe = path is "/proc/self/exe";
        a.Command(p, e, selfExe && argv0 is not null ? argv0 : path, cmd, windows: false);
        // argv[0] is what ps shows: a kernel thread's bracketed name is kept whole, a path by its base name.
        var shown = argv0 is null ? null : argv0.StartsWith('[') ? argv0 : Paths.BaseName(argv0);
        var spoofed = !selfExe && shown is not null && shown != p.Name;
        if (LinuxMimicry(p.Name, path) is not null || spoofed && LinuxMimicry(shown!, null) is not null) item?.AddTag("masquerade");
    }

    private static string? FirstArgument(string? json)
    {
        if (string.IsNullOrEmpty(json)) return null;
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(json);
            return doc.RootElement is { ValueKind: System.Text.Json.JsonValueKind.Array } r && r.GetArrayLength() > 0
                && r[0].ValueKind == System.Text.Json.JsonValueKind.String ? r[0].GetString() : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static string? ArgvText(string? json)
    {
        if (string.IsNullOrEmpty(json)) return null;
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != System.Text.Json.JsonValueKind.Array) return json;
            return string.Join(' ', doc.RootElement.EnumerateArray()
                .Select(x => x.ValueKind == System.Text.Json.JsonValueKind.String ? x.GetString() : x.GetRawText()));
        }
        catch (System.Text.Json.JsonException)
        {
            return json;
        }
    }

    private static void LxExit(Analyzer a, CallEvent e, ProcessNode p) => a.MarkExited(p, e);

    private Dictionary<ulong, string> FdsOf(ProcessNode p)
    {
        if (!_fds.TryGetValue(p.Seq, out var t)) _fds[p.Seq] = t = [];
        return t;
    }

    private const ulong OWrOnly = 1, ORdWr = 2, OCreat = 0x40, OTrunc = 0x200, OAppend = 0x400, OTmpFile = 0x410000;

    [GeneratedRegex(@"^/proc/(\d+)/mem$")]
    private static partial Regex ProcMem();

    private static void LxOpen(Analyzer a, CallEvent e, ProcessNode p)
    {
        var path = e["path"] ?? e["fd_path"];
        if (string.IsNullOrEmpty(path) || Core.Json.RecordJsonWriter.EndsUnreadable(path)) return;
        if (e.Failed)
        {
            // Looking for a hypervisor's files that are not there is a probe all the same.
            if (IsProbePath(path)) a.Behaviour(p, e, BehaviourKinds.SystemProbe, path, null, "failed");
            return;
        }
        var names = e["flags_names"];
        var flags = Paths.Hex(e["flags"]) ?? 0;
        bool Has(ulong bit, string name) => names is not null ? names.Contains(name, StringComparison.Ordinal) : (flags & bit) == bit;
        var write = e.Name == "creat" || Has(OWrOnly, "O_WRONLY") || Has(ORdWr, "O_RDWR") || Has(OTrunc, "O_TRUNC") || Has(OAppend, "O_APPEND");
        var create = e.Name == "creat" || Has(OCreat, "O_CREAT") || (flags & OTmpFile) == OTmpFile;
        var truncate = e.Name == "creat" || Has(OTrunc, "O_TRUNC");
        if (e.HasReturn) a.SetFd(p, e.RetVal, path);
        // A device node (a shell's "> /dev/null") is opened, never created; /proc and /sys entries exist already.
        if (path.StartsWith("/dev/", StringComparison.Ordinal) && !path.StartsWith("/dev/shm/", StringComparison.Ordinal)) write = create = false;
        else if (path.StartsWith("/proc/", StringComparison.Ordinal) || path.StartsWith("/sys/", StringComparison.Ordinal)) create = false;
        var m = ProcMem().Match(path);
        if (m.Success && write)
        {
            var pid = ulong.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            a.Spread(SpreadKinds.ProcMemWrite, p, e, a._byPid.GetValueOrDefault(pid), detail: path, attributeAs: null);
            return;
        }
        if (path is "/proc/self/status" || path == $"/proc/{p.Pid}/status")
            a.Behaviour(p, e, BehaviourKinds.AntiDebug, path, "TracerPid check");
        else if (IsProbePath(path) || path is "/proc/cpuinfo")
            a.Behaviour(p, e, BehaviourKinds.SystemProbe, path);
        if (!write) a.NoteRead(p, e, path);
        a.Behaviour(p, e, create ? BehaviourKinds.FileCreate : write ? BehaviourKinds.FileWrite : BehaviourKinds.FileOpen, path, null,
            write && truncate ? "truncate" : null);
    }

    /// <summary>Files that tell a virtual machine or sandbox from a real machine (firmware identity, virtual disks,
    /// hypervisor interfaces).</summary>
    private static bool IsProbePath(string path) =>
        path.StartsWith("/sys/class/dmi/id/", StringComparison.Ordinal) || path.StartsWith("/sys/hypervisor/", StringComparison.Ordinal)
        || path is "/proc/scsi/scsi" or "/proc/xen" or "/dev/vboxguest" or "/dev/vmci" or "/proc/vz" or "/.dockerenv";

    private void SetFd(ProcessNode p, ulong fd, string path)
    {
        var t = FdsOf(p);
        if (t.Count < Options.MaxHandlesPerProcess || t.ContainsKey(fd)) t[fd] = path;
    }

    private static void LxClose(Analyzer a, CallEvent e, ProcessNode p)
    {
        if (Paths.Hex(e["fd"]) is { } fd && a._fds.TryGetValue(p.Seq, out var t)) t.Remove(fd);
    }

    private static void LxWrite(Analyzer a, CallEvent e, ProcessNode p)
    {
        if (e.Failed) return;
        var path = e["fd_path"];
        if (path is null && Paths.Hex(e["fd"]) is { } fd && a._fds.TryGetValue(p.Seq, out var t)) t.TryGetValue(fd, out path);
        if (string.IsNullOrEmpty(path) || path[0] != '/' || path.StartsWith("/dev/", StringComparison.Ordinal)) return;
        var m = ProcMem().Match(path);
        if (m.Success)
        {
            var pid = ulong.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            a.Spread(SpreadKinds.ProcMemWrite, p, e, a._byPid.GetValueOrDefault(pid), detail: path);
            return;
        }
        a.Behaviour(p, e, BehaviourKinds.FileWrite, path);
    }

    private static void LxUnlink(Analyzer a, CallEvent e, ProcessNode p)
    {
        if (e.Failed) return;
        var path = e["path"];
        if (!string.IsNullOrEmpty(path)) a.Behaviour(p, e, BehaviourKinds.FileDelete, path);
    }

    private static void LxRename(Analyzer a, CallEvent e, ProcessNode p)
    {
        if (e.Failed) return;
        var from = e["old_path"];
        if (string.IsNullOrEmpty(from)) return;
        a.Behaviour(p, e, BehaviourKinds.FileRename, from, e["new_path"]);
        a.NoteRename(p, e, from, e["new_path"]);
    }

    private static void LxChmod(Analyzer a, CallEvent e, ProcessNode p)
    {
        if (e.Failed) return;
        var path = e["path"] ?? e["fd_path"];
        var mode = e["mode"];
        if (string.IsNullOrEmpty(path) || mode is null) return;
        var bits = Convert.ToUInt32(mode.TrimStart('0') is { Length: > 0 } m && m.All(c => c is >= '0' and <= '7') ? m : "0", 8);
        if ((bits & 0b001_001_001) != 0) a.Behaviour(p, e, BehaviourKinds.PermissionChange, path, mode, "executable");
        if ((bits & 0b110_000_000_000) != 0) a.Behaviour(p, e, BehaviourKinds.PermissionChange, path, mode, "setuid"); // S_ISUID|S_ISGID
    }

    private static void LxConnect(Analyzer a, CallEvent e, ProcessNode p)
    {
        var remote = e["remote_address"];
        if (string.IsNullOrEmpty(remote) || (e["family"] ?? "").Contains("UNIX", StringComparison.Ordinal) || remote.StartsWith('/')) return;
        a.Behaviour(p, e, BehaviourKinds.NetworkConnect, remote, e.Failed ? "failed" : null);
        a.NoteSocketUse(p, e, remote);
    }

    private static void LxBind(Analyzer a, CallEvent e, ProcessNode p)
    {
        var local = e["local_address"] ?? e["remote_address"];
        if (string.IsNullOrEmpty(local) || (e["family"] ?? "").Contains("UNIX", StringComparison.Ordinal) || local.StartsWith('/')) return;
        if (!e.Failed) a.Behaviour(p, e, BehaviourKinds.NetworkListen, local);
    }

    private static void LxPtrace(Analyzer a, CallEvent e, ProcessNode p)
    {
        var request = e["request_name"] ?? "";
        if (request == "PTRACE_TRACEME")
        {
            a.Behaviour(p, e, BehaviourKinds.PtraceTraceMe, "PTRACE_TRACEME", e.Failed ? "failed: already traced" : null);
            return;
        }
        if (e.Failed) return;
        var tid = Paths.Hex(e["target_tid"]) ?? Paths.Hex(e["target_pid"]);
        if (tid is null) return;
        var owner = a._threadOwner.GetValueOrDefault(tid.Value) ?? a._byPid.GetValueOrDefault(tid.Value);
        switch (request)
        {
            case "PTRACE_ATTACH" or "PTRACE_SEIZE":
                a.Spread(SpreadKinds.PtraceAttach, p, e, owner, tid, request);
                break;
            case "PTRACE_POKETEXT" or "PTRACE_POKEDATA" or "PTRACE_POKEUSER":
                a.Spread(SpreadKinds.PtracePoke, p, e, owner, tid, request);
                break;
            case "PTRACE_SETREGS" or "PTRACE_SETREGSET" or "PTRACE_SETFPREGS":
                a.Spread(SpreadKinds.PtraceSetRegs, p, e, owner, tid, request, "ptrace");
                break;
        }
    }

    private static void LxVmWrite(Analyzer a, CallEvent e, ProcessNode p)
    {
        if (e.Failed || Paths.Hex(e["target_pid"]) is not { } pid) return;
        a.Spread(SpreadKinds.VmWrite, p, e, a._byPid.GetValueOrDefault(pid), detail: e["size"]);
    }

    private static void LxPrctl(Analyzer a, CallEvent e, ProcessNode p)
    {
        if ((e["option_name"] ?? "") != "PR_SET_NAME" || e["name"] is not { Length: > 0 } name) return;
        var item = a.Behaviour(p, e, BehaviourKinds.ProcessRename, name, p.Name);
        if (LinuxMimicry(name, p.Image) is not null) item?.AddTag("masquerade");
        // A forked child that names itself before any execve is a shell running one of its applets (busybox).
        else if (!a._execSeen.Contains(p.Seq) && p.ParentSource == ParentSource.Creation) a.Command(p, e, name, null, windows: false);
    }

    private static void LxMemfd(Analyzer a, CallEvent e, ProcessNode p)
    {
        if (!e.Failed) a.Behaviour(p, e, BehaviourKinds.MemfdCreate, e["name"] ?? "(anonymous)");
    }

    private static void LxModule(Analyzer a, CallEvent e, ProcessNode p) =>
        a.Behaviour(p, e, BehaviourKinds.DriverLoad, e["fd_path"] ?? e["path"] ?? "(module from memory)", e.Failed ? "failed" : null);

    private static void LxSleep(Analyzer a, CallEvent e, ProcessNode p)
    {
        var seconds = Paths.Dec(e["seconds"]) ?? 0;
        if (seconds >= (long)a.Options.LongSleep.TotalSeconds)
            a.Behaviour(p, e, BehaviourKinds.LongSleep, $"{seconds} s");
    }
}
