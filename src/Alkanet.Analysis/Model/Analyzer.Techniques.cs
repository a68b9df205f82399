using System.Collections.Frozen;
using System.Globalization;
using System.Text.RegularExpressions;
using Alkanet.Analysis.Events;

namespace Alkanet.Analysis.Model;

/// <summary>
/// Facts that take more than one call or a list of names to see: the program a process runs (its
/// <c>command</c>), names that mimic kernel threads or system daemons (masquerading), many processes' /proc
/// entries read (process discovery), many user files read (collection), many files renamed to one new
/// extension (encryption for impact). The rules (data/rules) decide what is a finding; this file only
/// states the facts. Name lists: ATT&amp;CK T1036.005 ("Match Legitimate Resource Name or Location") and the
/// names Linux gives its kernel threads and Windows its system processes.
/// </summary>
public sealed partial class Analyzer
{
    /// <summary>Calls this file reads besides <see cref="Handlers"/>.</summary>
    private static readonly FrozenDictionary<string, Action<Analyzer, CallEvent, ProcessNode>> TechniqueHandlers =
        new Dictionary<string, Action<Analyzer, CallEvent, ProcessNode>>(StringComparer.Ordinal)
        {
            ["utimensat"] = LxUtimens,
        }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Distinct other processes whose /proc entries one process must read to count as listing them.</summary>
    public const int ProcessListThreshold = 3;

    /// <summary>Distinct files under home directories one process must read to count as collecting them.</summary>
    public const int UserFileThreshold = 10;

    /// <summary>Files one process must rename to the same new extension to count as a mass rename.</summary>
    public const int MassRenameThreshold = 5;

    private sealed class Counters
    {
        public HashSet<ulong> ProcPids { get; } = [];

        public HashSet<string> UserFiles { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, int> RenameSuffixes { get; } = new(StringComparer.OrdinalIgnoreCase);
    }

    private readonly Dictionary<int, Counters> _counters = [];
    private readonly HashSet<int> _execSeen = [];

    /// <summary>Whose count a process adds to: a shell's applet (a forked child that ran no program of its own, or
    /// busybox re-running itself as /proc/self/exe) acts for the script that forked it, so "mv" run once per file
    /// counts as one program renaming many files.</summary>
    private ProcessNode CounterOwner(ProcessNode p, CallEvent e)
    {
        if (CallNames.IsWindows(e.Name) || p.ParentSource != ParentSource.Creation || p.ParentSeq is not { } parent) return p;
        return !_execSeen.Contains(p.Seq) || p.Image is "/proc/self/exe" ? Node(parent) : p;
    }

    private Counters CountersOf(ProcessNode p)
    {
        if (!_counters.TryGetValue(p.Seq, out var c)) _counters[p.Seq] = c = new Counters();
        return c;
    }

    // Linux kernel threads (ps shows them in brackets); a user process has no business taking these names.
    [GeneratedRegex(@"^\[.*\]$|^(kworker|kthreadd|ksoftirqd|migration|rcu_[a-z_]+|kswapd\d*|khugepaged|watchdogd?|kdevtmpfs|kauditd|jbd2"
        + @"|kblockd|writeback|cpuhp|kcompactd\d*|ksmd|oom_reaper|irq|kintegrityd|khungtaskd|kthrotld|scsi_eh_\d+)(/.*)?$",
        RegexOptions.CultureInvariant)]
    private static partial Regex KernelThreadName();

    // Daemons of a Linux system that busybox has no applet for (a shell running busybox's own crond or syslogd is
    // not pretending), and Windows system processes, with the directories they really live in.
    private static readonly FrozenSet<string> LinuxDaemons = new[]
    {
        "sshd", "systemd", "systemd-journald", "systemd-udevd", "systemd-logind", "systemd-resolved", "systemd-networkd",
        "systemd-timesyncd", "dbus-daemon", "rsyslogd", "cron", "atd", "polkitd", "NetworkManager", "auditd", "agetty",
        "irqbalance", "snapd", "containerd", "dockerd", "accounts-daemon", "avahi-daemon", "cupsd", "gdm", "lightdm",
    }.ToFrozenSet(StringComparer.Ordinal);

    private static readonly FrozenSet<string> WindowsSystemProcesses = new[]
    {
        "svchost.exe", "lsass.exe", "csrss.exe", "winlogon.exe", "services.exe", "smss.exe", "wininit.exe", "spoolsv.exe",
        "lsm.exe", "taskhostw.exe", "dllhost.exe", "conhost.exe", "explorer.exe", "rundll32.exe", "taskhost.exe", "sihost.exe",
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    [GeneratedRegex(@"^/(usr/)?(s?bin|lib(exec)?(/systemd)?)(/|$)", RegexOptions.CultureInvariant)]
    private static partial Regex LinuxSystemDirectory();

    [GeneratedRegex(@"^([a-z]:)?\\windows(\\(system32|syswow64))?\\[^\\]+$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex WindowsSystemDirectory();

    /// <summary>What a Linux process name pretends to be, or null: a kernel thread's name, or a daemon's name the
    /// process's own image (<paramref name="image"/>) does not bear from a system directory.</summary>
    internal static string? LinuxMimicry(string name, string? image)
    {
        if (KernelThreadName().IsMatch(name)) return "mimics a kernel thread";
        if (!LinuxDaemons.Contains(name)) return null;
        if (image is not null && Paths.BaseName(image) == name && LinuxSystemDirectory().IsMatch(image)) return null;
        return "mimics a system daemon";
    }

    /// <summary>What a Windows image pretends to be: a system process's name outside the Windows directories.</summary>
    internal static string? WindowsMimicry(string image)
    {
        var display = Paths.Display(image);
        if (!WindowsSystemProcesses.Contains(Paths.BaseName(display))) return null;
        return WindowsSystemDirectory().IsMatch(display) ? null : "system process name outside the Windows directory";
    }

    /// <summary>The program's name as a command: the base name, lower case and without ".exe" on Windows.</summary>
    private static string CommandName(string image, bool windows)
    {
        var name = Paths.BaseName(Paths.Display(image));
        if (!windows) return name;
        name = name.ToLowerInvariant();
        return name.EndsWith(".exe", StringComparison.Ordinal) ? name[..^4] : name;
    }

    private void Command(ProcessNode p, CallEvent e, string image, string? commandLine, bool windows) =>
        Behaviour(p, e, BehaviourKinds.Command, CommandName(image, windows), commandLine);

    [GeneratedRegex(@"^/proc/(\d+)/")]
    private static partial Regex ProcPidEntry();

    [GeneratedRegex(@"^/(root|home/[^/]+)/(?!\.)")]
    private static partial Regex UserFile();

    /// <summary>Counts a file opened for reading: other processes' /proc entries (a process list) and files in home
    /// directories (collection), and reports each once its threshold is reached.</summary>
    private void NoteRead(ProcessNode reader, CallEvent e, string path)
    {
        var p = CounterOwner(reader, e);
        var m = ProcPidEntry().Match(path);
        if (m.Success)
        {
            if (!ulong.TryParse(m.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                || pid == p.Pid || pid == reader.Pid) return;
            var pids = CountersOf(p).ProcPids;
            if (pids.Count < 4096) pids.Add(pid);
            if (pids.Count >= ProcessListThreshold && Behaviour(p, e, BehaviourKinds.ProcessEnumeration, "/proc/[pid]/") is { } listed)
                listed.Detail = $"{pids.Count} other processes' /proc entries read";
            return;
        }
        var u = UserFile().Match(path);
        if (!u.Success) return;
        var files = CountersOf(p).UserFiles;
        if (files.Count < 4096) files.Add(path);
        if (files.Count >= UserFileThreshold && Behaviour(p, e, BehaviourKinds.MassFileRead, "/" + u.Groups[1].Value) is { } item)
            item.Detail = $"{files.Count} files read";
    }

    /// <summary>Counts a rename that gives a file a new extension; many to the same one is how ransomware marks what
    /// it encrypted.</summary>
    private void NoteRename(ProcessNode renamer, CallEvent e, string from, string? to)
    {
        if (to is null) return;
        var p = CounterOwner(renamer, e);
        var suffix = Path.GetExtension(to);
        if (suffix.Length < 2 || suffix.Length > 16 || string.Equals(suffix, Path.GetExtension(from), StringComparison.OrdinalIgnoreCase)) return;
        var counts = CountersOf(p).RenameSuffixes;
        if (!counts.ContainsKey(suffix) && counts.Count >= 256) return;
        var n = counts[suffix] = counts.GetValueOrDefault(suffix) + 1;
        if (n >= MassRenameThreshold && Behaviour(p, e, BehaviourKinds.MassRename, "*" + suffix) is { } item)
            item.Detail = $"{n} files renamed to *{suffix}";
    }

    /// <summary>utimensat: explicit times (a non-null <c>times</c>) set a file's dates to a chosen value: timestomping.</summary>
    private static void LxUtimens(Analyzer a, CallEvent e, ProcessNode p)
    {
        if (e.Failed || e["times"] is not { } times) return;
        var path = e["path"];
        if (string.IsNullOrEmpty(path) && Paths.Hex(e["dirfd"]) is { } fd && a._fds.TryGetValue(p.Seq, out var t)) t.TryGetValue(fd, out path);
        if (string.IsNullOrEmpty(path) || path.StartsWith('<')) return;
        var explicitTimes = Paths.Hex(times) is not (null or 0);
        a.Behaviour(p, e, BehaviourKinds.FileTimeChange, path, explicitTimes ? "times given" : "set to now", explicitTimes ? "explicit" : null);
    }
}
