using System.Collections.Frozen;
using Alkanet.Analysis.Events;

namespace Alkanet.Analysis.Model;

/// <summary>
/// The one-pass analysis state: the process tree (one node per process lifetime), handle and fd tables,
/// cross-process operations (spread) and the characteristic behaviour of every process, each kept as
/// distinct (kind, object) items. Which processes are "the sample" is decided afterwards
/// (<see cref="SampleScope"/>), so the log is read once whatever the sample turns out to be; memory is
/// bounded by processes, threads, open handles and distinct objects, never by the number of records.
/// </summary>
public sealed partial class Analyzer : ICallEventSink
{
    private readonly List<ProcessNode> _nodes = [];
    private readonly Dictionary<ulong, ProcessNode> _byPid = [];
    private readonly Dictionary<ulong, ProcessNode> _threadOwner = [];
    private readonly Dictionary<int, Dictionary<ulong, HandleInfo>> _handles = [];
    private readonly Dictionary<int, Dictionary<ulong, string>> _fds = [];
    private readonly Dictionary<int, Bag> _bags = [];
    private readonly Dictionary<(int Seq, ulong Tid), Bag> _injectedBags = [];
    private readonly Dictionary<(int Seq, ulong Tid), ThreadAttribution> _injectedThreads = [];
    private readonly Dictionary<int, ThreadAttribution> _nextNewThread = [];
    private readonly Dictionary<(int, int, string), SpreadEdge> _edges = [];

    public AnalyzerOptions Options { get; }

    public Analyzer(AnalyzerOptions? options = null)
    {
        Options = options ?? new AnalyzerOptions();
        DroppedFiles = new Evidence.DroppedFileTracker(Options.CaptureLimits) { Memory = InjectedMemory };
    }

    public IReadOnlyList<ProcessNode> Processes => _nodes;

    public IEnumerable<SpreadEdge> Edges => _edges.Values;

    public IReadOnlyDictionary<(int Seq, ulong Tid), ThreadAttribution> InjectedThreads => _injectedThreads;

    public long Calls { get; private set; }

    public long LostRecords { get; private set; }

    public long? FirstNs { get; private set; }

    public long? LastNs { get; private set; }

    public long FirstNo { get; private set; } = -1;

    public long LastNo { get; private set; } = -1;

    /// <summary>True when the caller should keep an ENTER's arguments for this call until its EXIT.</summary>
    public static bool WantsArguments(string name) => Handlers.ContainsKey(name) || TechniqueHandlers.ContainsKey(name)
        || Evidence.DroppedFileTracker.WantsArguments(name) || Evidence.InjectedMemoryTracker.WantsArguments(name);

    /// <summary>The files the traced processes wrote, rebuilt from captured write data (docs/EVIDENCE.md).</summary>
    public Evidence.DroppedFileTracker DroppedFiles { get; }

    /// <summary>Bytes written into other processes' memory (docs/EVIDENCE.md).</summary>
    public Evidence.InjectedMemoryTracker InjectedMemory { get; } = new();

    // Call names come from the reader's string pool, so the same name is usually the same instance: a
    // reference-keyed cache in front of the handler table saves hashing the name's characters on every call.
    private readonly Dictionary<string, Action<Analyzer, CallEvent, ProcessNode>?> _handlerCache = new(ReferenceEqualityComparer.Instance);

    private Action<Analyzer, CallEvent, ProcessNode>? HandlerFor(string name)
    {
        if (_handlerCache.TryGetValue(name, out var h)) return h;
        if (_handlerCache.Count >= 4096) _handlerCache.Clear();
        h = Handlers.GetValueOrDefault(name) ?? TechniqueHandlers.GetValueOrDefault(name);
        _handlerCache[name] = h;
        return h;
    }

    public IEnumerable<BehaviourItem> ItemsOf(int seq) =>
        _bags.TryGetValue(seq, out var bag) ? bag.Values : [];

    public IEnumerable<BehaviourItem> ItemsOfInjectedThread(int seq, ulong tid) =>
        _injectedBags.TryGetValue((seq, tid), out var bag) ? bag.Values : [];

    /// <summary>The (process, thread) pairs whose injected-code behaviour is kept apart.</summary>
    public IEnumerable<(int Seq, ulong Tid)> InjectedBagKeys => _injectedBags.Keys;

    /// <summary>Every item of every process and injected thread (for baselines).</summary>
    public IEnumerable<BehaviourItem> AllItems() =>
        _bags.Values.SelectMany(b => b.Values).Concat(_injectedBags.Values.SelectMany(b => b.Values));

    public ProcessNode Node(int seq) => _nodes[seq - 1];

    public void OnLoss(long first, long count) => LostRecords += count;

    /// <summary>Links processes whose <c>proc_ppid</c> named a process not yet seen at the time (the log started
    /// after both): to the lifetime of that pid that was alive when the child appeared. Idempotent.</summary>
    private bool IsAncestorOrSelf(ProcessNode candidate, ProcessNode start)
    {
        var seen = new HashSet<int>();
        for (var cur = start; ; cur = Node(cur.ParentSeq!.Value))
        {
            if (cur == candidate) return true;
            if (cur.ParentSeq is null || !seen.Add(cur.Seq)) return false;
        }
    }

    public void LinkLateParents()
    {
        foreach (var n in _nodes)
        {
            if (n.ParentSeq is not null || n.ParentPid is not { } ppid || n.ParentSource == ParentSource.Creation) continue;
            var parent = _nodes.Where(x => x.Pid == ppid && x != n && (x.ExitNo is null || x.ExitNo >= n.FirstNo)
                    && (x.CreatedNo is null || x.CreatedNo <= n.FirstNo))
                .OrderBy(x => x.Seq).FirstOrDefault();
            if (parent is not null && !IsAncestorOrSelf(n, parent)) n.ParentSeq = parent.Seq;
        }
    }

    public void OnProcessFact(ProcessFact fact)
    {
        var known = _byPid.TryGetValue(fact.Pid, out var existing) && !existing.Exited;
        if (known && fact.NewLifetime) existing!.Exited = true; // its end was not seen
        var p = known && !fact.NewLifetime ? existing! : NewNode(fact.Pid);
        if (!string.IsNullOrEmpty(fact.Name)) p.Name = fact.Name;
        p.Image ??= fact.Image;
        p.CommandLine ??= fact.CommandLine;
        if (p.FirstNo < 0 && fact.No >= 0) { p.FirstNo = fact.No; p.StartNs ??= fact.TimestampNs; }
        if (fact.ParentPid is { } ppid && p.ParentSource is ParentSource.Unknown or ParentSource.ProcPpid
            && _byPid.TryGetValue(ppid, out var parent) && parent != p)
        {
            p.ParentSeq = parent.Seq;
            p.ParentPid = ppid;
            p.ParentSource = ParentSource.Importer;
        }
        else if (fact.ParentPid is { } pp && p.ParentPid is null)
        {
            p.ParentPid = pp;
            p.ParentSource = ParentSource.Importer;
        }
    }

    public void OnEvent(CallEvent e)
    {
        Calls++;
        if (FirstNo < 0) FirstNo = e.No;
        LastNo = Math.Max(LastNo, Math.Max(e.No, e.ExitNo));
        if (e.TimestampNs is { } ns)
        {
            FirstNs ??= ns;
            LastNs = ns;
        }
        var p = ResolveProcess(e);
        HandlerFor(e.Name)?.Invoke(this, e, p);
        DroppedFiles.OnEvent(e, p);
        InjectedMemory.OnEvent(e, p);
    }

    // ---------------------------------------------------------------- processes

    private ProcessNode NewNode(ulong pid)
    {
        var n = new ProcessNode { Seq = _nodes.Count + 1, Pid = pid };
        _nodes.Add(n);
        _byPid[pid] = n;
        return n;
    }

    private ProcessNode ResolveProcess(CallEvent e)
    {
        if (!_byPid.TryGetValue(e.Pid, out var p) || IsNewLifetime(p, e))
        {
            if (p is not null && !p.Exited) p.Exited = true; // its end was not seen
            p = NewNode(e.Pid);
            p.Name = e.ProcName;
            p.TracerSeq = e.ProcSeq;
        }
        if (p.FirstNo < 0)
        {
            p.FirstNo = e.No;
            p.StartNs = e.TimestampNs;
            if (string.IsNullOrEmpty(p.Name)) p.Name = e.ProcName;
            p.TracerSeq ??= e.ProcSeq;
        }
        p.LastNo = Math.Max(p.LastNo, Math.Max(e.No, e.ExitNo));
        p.Calls++;
        if (p.ParentSource == ParentSource.Unknown && e.ParentPid is { } ppid && ppid != p.Pid)
        {
            p.ParentPid = ppid;
            p.ParentSource = ParentSource.ProcPpid;
            if (_byPid.TryGetValue(ppid, out var parent) && parent.Seq < p.Seq) p.ParentSeq = parent.Seq;
        }
        if (p.Threads.Add(e.Tid))
        {
            _threadOwner[e.Tid] = p;
            if (_nextNewThread.Remove(p.Seq, out var pending)) AttributeThread(p, e.Tid, pending);
        }
        return p;
    }

    private static bool IsNewLifetime(ProcessNode p, CallEvent e)
    {
        if (e.ProcSeq is { } s && p.TracerSeq is { } t) return s != t;
        // A Windows process keeps its ImageFileName for life: another name on the same pid is a new process
        // (its creation and the old one's exit were not seen). Linux comm changes with execve and PR_SET_NAME.
        if (CallNames.IsWindows(e.Name) && p.FirstNo >= 0 && !string.IsNullOrEmpty(p.Name) && !string.IsNullOrEmpty(e.ProcName)
            && !string.Equals(p.Name, e.ProcName, StringComparison.OrdinalIgnoreCase) && !IsTruncationOf(e.ProcName, p.Name)
            && !(p.Image is not null && IsTruncationOf(e.ProcName, Paths.BaseName(p.Image))))
            return true;
        if (!p.Exited) return false;
        // After its exit, records of the same pid belong to a new process only on evidence:
        // a fork child's first return, or a different name (late records of the old one keep its name).
        return e.IsForkChildReturn || !string.Equals(p.Name, e.ProcName, StringComparison.Ordinal)
            && !IsTruncationOf(e.ProcName, p.Name);
    }

    private static bool IsTruncationOf(string shortName, string name) =>
        shortName.Length >= 14 && name.StartsWith(shortName, StringComparison.OrdinalIgnoreCase);

    /// <summary>A creation call (EXIT) reported a new process <paramref name="newPid"/>.</summary>
    private ProcessNode CreateChild(ProcessNode parent, CallEvent e, ulong newPid)
    {
        ProcessNode child;
        if (_byPid.TryGetValue(newPid, out var existing) && existing != parent && IsSameLifetime(existing, parent, e))
        {
            child = existing;
        }
        else
        {
            if (existing is not null && !existing.Exited) existing.Exited = true;
            child = NewNode(newPid);
        }
        child.ParentSeq = parent.Seq;
        child.ParentPid = parent.Pid;
        child.ParentSource = ParentSource.Creation;
        child.CreatorTid = e.Tid;
        child.CreatedNo = e.No;
        child.StartNs ??= e.TimestampNs;
        AddEdge(SpreadKinds.ProcessCreate, parent, e, child, null, null);
        return child;
    }

    /// <summary>Whether a creation call by <paramref name="parent"/> reporting <paramref name="existing"/>'s pid creates that
    /// very lifetime rather than a new one: one process must appear once, whichever records or report sections name it.</summary>
    private static bool IsSameLifetime(ProcessNode existing, ProcessNode parent, CallEvent e)
    {
        if (existing.Exited) return false; // its end was seen: the pid was reused
        // The child ran before its parent's call returned.
        if (existing.ParentSource != ParentSource.Creation && existing.FirstNo >= e.No) return true;
        // A second creation call for the same process: CAPE logs CreateProcessInternalW around NtCreateUserProcess.
        if (existing.ParentSource == ParentSource.Creation) return existing.ParentSeq == parent.Seq;
        // An importer's process list named it with this parent before its creation call was read.
        return existing.ParentSource == ParentSource.Importer && existing.CreatedNo is null && existing.ParentPid == parent.Pid;
    }

    private void MarkExited(ProcessNode p, CallEvent e)
    {
        p.Exited = true;
        p.ExitNo ??= e.No;
        p.ExitNs ??= e.TimestampNs;
    }

    // ---------------------------------------------------------------- handles

    internal enum HandleKind { Process, Thread, File, Key, Section, Other }

    internal readonly record struct HandleInfo(HandleKind Kind, int? Seq, ulong? Tid, string? Name);

    private const ulong CurrentProcess = ulong.MaxValue;        // (HANDLE)-1
    private const ulong CurrentThread = ulong.MaxValue - 1;     // (HANDLE)-2

    private Dictionary<ulong, HandleInfo> HandlesOf(ProcessNode p)
    {
        if (!_handles.TryGetValue(p.Seq, out var t)) _handles[p.Seq] = t = [];
        return t;
    }

    private static ulong NormaliseHandle(ulong h) => h switch
    {
        0xffffffff => CurrentProcess,  // 32-bit callers
        0xfffffffe => CurrentThread,
        _ => h,
    };

    private void SetHandle(ProcessNode p, string? handleText, HandleInfo info)
    {
        if (Paths.Hex(handleText) is not { } h || h == 0) return;
        var table = HandlesOf(p);
        if (table.Count >= Options.MaxHandlesPerProcess && !table.ContainsKey(h)) return;
        table[h] = info;
    }

    private HandleInfo? GetHandle(ProcessNode p, string? handleText)
    {
        if (Paths.Hex(handleText) is not { } h) return null;
        return _handles.TryGetValue(p.Seq, out var t) && t.TryGetValue(NormaliseHandle(h), out var info) ? info : null;
    }

    /// <summary>The process a call acts on: <c>target_pid</c> when the decoder resolved it, else the handle.</summary>
    private ProcessNode? TargetProcess(CallEvent e, ProcessNode p, string handleField = "process_handle")
    {
        if (Paths.Hex(e["target_pid"]) is { } tp)
            return tp == p.Pid ? p : _byPid.GetValueOrDefault(tp);
        var text = e[handleField] ?? e["handle"];
        if (Paths.Hex(text) is not { } h) return null;
        h = NormaliseHandle(h);
        if (h == CurrentProcess) return p;
        var info = GetHandle(p, text);
        return info is { Kind: HandleKind.Process or HandleKind.Thread, Seq: { } seq } ? Node(seq) : null;
    }

    /// <summary>The thread a call acts on and its process.</summary>
    private (ProcessNode? Owner, ulong? Tid) TargetThread(CallEvent e, ProcessNode p, string handleField = "thread_handle")
    {
        if (Paths.Hex(e["target_tid"]) is { } tt)
        {
            var owner = _threadOwner.GetValueOrDefault(tt)
                ?? (Paths.Hex(e["target_pid"]) is { } tp ? (tp == p.Pid ? p : _byPid.GetValueOrDefault(tp)) : null);
            return (owner, tt);
        }
        var text = e[handleField] ?? e["handle"];
        if (Paths.Hex(text) is not { } h) return (null, null);
        if (NormaliseHandle(h) == CurrentThread) return (p, e.Tid);
        var info = GetHandle(p, text);
        return info is { Kind: HandleKind.Thread, Seq: { } seq, Tid: var tid } ? (Node(seq), tid) : (null, null);
    }

    // ---------------------------------------------------------------- spread and attribution

    private SpreadEdge AddEdge(string kind, ProcessNode source, CallEvent e, ProcessNode target, ulong? targetTid, string? detail)
    {
        var key = (source.Seq, target.Seq, kind);
        if (!_edges.TryGetValue(key, out var edge))
            _edges[key] = edge = new SpreadEdge { Kind = kind, SourceSeq = source.Seq, TargetSeq = target.Seq, Detail = detail };
        edge.Count++;
        if (edge.Records.Count < SpreadEdge.MaxRecords) edge.Records.Add(e.No);
        if (edge.SourceTids.Count < 16 && !edge.SourceTids.Contains(e.Tid)) edge.SourceTids.Add(e.Tid);
        if (targetTid is { } tt && edge.TargetTids.Count < 16 && !edge.TargetTids.Contains(tt)) edge.TargetTids.Add(tt);
        return edge;
    }

    private void AttributeThread(ProcessNode target, ulong tid, ThreadAttribution by)
    {
        _injectedThreads.TryAdd((target.Seq, tid), by with { TargetSeq = target.Seq, TargetTid = tid });
    }

    private void Spread(string kind, ProcessNode p, CallEvent e, ProcessNode? target,
        ulong? targetTid = null, string? detail = null, string? attributeAs = null)
    {
        if (target is null || target == p) return;
        AddEdge(kind, p, e, target, targetTid, detail);
        if (attributeAs is null) return;
        var by = new ThreadAttribution(p.Seq, e.Tid, 0, 0, attributeAs, e.No);
        if (targetTid is { } tid) AttributeThread(target, tid, by);
        else _nextNewThread[target.Seq] = by; // the next thread seen in the target runs the injected code
    }

    // ---------------------------------------------------------------- behaviour

    /// <summary>Records one occurrence of (kind, object) for the calling thread's process, or for the thread itself
    /// when it runs injected code. Returns the item (its <see cref="BehaviourItem.Object"/> is the one stored copy of
    /// the name), or null when the object is empty or the process's cap is reached.</summary>
    private BehaviourItem? Behaviour(ProcessNode p, CallEvent e, string kind, ReadOnlySpan<char> obj, string? detail = null, string? tag = null)
    {
        if (obj.IsEmpty) return null;
        Bag? bag;
        var injected = _injectedThreads.Count > 0 && _injectedThreads.ContainsKey((p.Seq, e.Tid));
        if (injected)
        {
            if (!_injectedBags.TryGetValue((p.Seq, e.Tid), out bag)) _injectedBags[(p.Seq, e.Tid)] = bag = new Bag();
        }
        else if (!_bags.TryGetValue(p.Seq, out bag))
        {
            _bags[p.Seq] = bag = new Bag();
        }
        var item = bag.Find(kind, obj);
        if (item is null)
        {
            if (bag.Count >= Options.MaxItemsPerProcess) return null;
            var text = obj.ToString();
            item = new BehaviourItem { Kind = kind, Object = text, ProcessSeq = p.Seq, Tid = e.Tid, ByInjectedThread = injected, Detail = detail };
            bag.Add(item);
            if (Paths.IsAutostart(text)) item.AddTag("autostart");
            if (kind is BehaviourKinds.FileCreate or BehaviourKinds.FileWrite or BehaviourKinds.FileRename
                && Paths.LooksExecutable(detail is not null && kind == BehaviourKinds.FileRename ? detail : text))
                item.AddTag("executable");
        }
        else if (item.Detail is null && detail is not null)
        {
            item.Detail = detail;
        }
        if (tag is not null) item.AddTag(tag);
        item.AddEvidence(e.No, e.ExitNo, e.TimestampNs);
        return item;
    }
}

/// <summary>A thread of <see cref="TargetSeq"/> that runs code placed there by (<see cref="SourceSeq"/>, <see cref="SourceTid"/>).</summary>
public sealed record ThreadAttribution(int SourceSeq, ulong SourceTid, int TargetSeq, ulong TargetTid, string Technique, long No);

public sealed class AnalyzerOptions
{
    /// <summary>Sleeps at least this long are reported as anti-analysis.</summary>
    public TimeSpan LongSleep { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Caps that keep memory bounded when a hostile guest opens objects without end.</summary>
    public int MaxHandlesPerProcess { get; init; } = 65536;

    public int MaxItemsPerProcess { get; init; } = 100_000;

    /// <summary>The per-file and per-run caps of the dropped-file capture; null: the defaults.</summary>
    public Evidence.DroppedFileLimits? CaptureLimits { get; init; }
}
