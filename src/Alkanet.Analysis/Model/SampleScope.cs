using System.Globalization;

namespace Alkanet.Analysis.Model;

/// <summary>
/// Which processes and threads are "the sample": the chosen root process(es), every process they or their
/// injected threads created, and every thread of another process that runs code they injected
/// (remote thread, APC, context set, ptrace SETREGS), to a fixed point.
/// </summary>
public sealed class SampleScope
{
    public required string Spec { get; init; }

    public required IReadOnlyList<int> Roots { get; init; }

    public HashSet<int> Processes { get; } = [];

    public Dictionary<(int Seq, ulong Tid), ThreadAttribution> Threads { get; } = [];

    public bool Contains(int seq) => Processes.Contains(seq);

    /// <summary>Selects by <c>#SEQ</c> (a process lifetime), <c>0xHEX</c> or decimal pid, or a process name
    /// (image base name or the kernel's 15-character short name; case-insensitive).</summary>
    public static SampleScope Resolve(Analyzer a, string spec)
    {
        a.LinkLateParents();
        var matches = Match(a, spec);
        if (matches.Count == 0) throw new SampleNotFoundException(spec, Candidates(a));
        var set = matches.Select(n => n.Seq).ToHashSet();
        // A match whose ancestor also matched is reached through the tree; keep the topmost as roots.
        var roots = matches.Where(n => !Ancestors(a, n).Any(x => set.Contains(x.Seq))).Select(n => n.Seq).ToList();
        var scope = new SampleScope { Spec = spec, Roots = roots };
        scope.Close(a);
        return scope;
    }

    private static List<ProcessNode> Match(Analyzer a, string spec)
    {
        spec = spec.Trim();
        if (spec.StartsWith('#') && int.TryParse(spec.AsSpan(1), CultureInfo.InvariantCulture, out var seq))
            return a.Processes.Where(n => n.Seq == seq).ToList();
        if (spec.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && ulong.TryParse(spec.AsSpan(2),
            NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var hex))
            return a.Processes.Where(n => n.Pid == hex).ToList();
        if (ulong.TryParse(spec, NumberStyles.None, CultureInfo.InvariantCulture, out var dec))
            return a.Processes.Where(n => n.Pid == dec).ToList();
        return a.Processes.Where(n => NameMatches(n, spec)).ToList();
    }

    public static bool NameMatches(ProcessNode n, string name)
    {
        var baseName = Paths.BaseName(name);
        if (string.Equals(n.Name, baseName, StringComparison.OrdinalIgnoreCase)) return true;
        if (n.Image is not null && string.Equals(Paths.BaseName(n.Image), baseName, StringComparison.OrdinalIgnoreCase)) return true;
        // EPROCESS.ImageFileName and task_struct.comm keep 14-15 characters.
        return n.Name.Length >= 14 && baseName.StartsWith(n.Name, StringComparison.OrdinalIgnoreCase);
    }

    private static IEnumerable<ProcessNode> Ancestors(Analyzer a, ProcessNode n)
    {
        var seen = new HashSet<int>();
        while (n.ParentSeq is { } ps && seen.Add(ps))
        {
            n = a.Node(ps);
            yield return n;
        }
    }

    private void Close(Analyzer a)
    {
        foreach (var r in Roots) Processes.Add(r);
        var changed = true;
        while (changed)
        {
            changed = false;
            foreach (var n in a.Processes)
            {
                if (Processes.Contains(n.Seq) || n.ParentSeq is not { } ps) continue;
                var byInjected = n.CreatorTid is { } ct && Threads.ContainsKey((ps, ct));
                if (Processes.Contains(ps) || byInjected) changed |= Processes.Add(n.Seq);
            }
            foreach (var (key, by) in a.InjectedThreads)
            {
                if (Threads.ContainsKey(key) || Processes.Contains(key.Seq)) continue;
                if (Processes.Contains(by.SourceSeq) || Threads.ContainsKey((by.SourceSeq, by.SourceTid)))
                {
                    Threads[key] = by;
                    changed = true;
                }
            }
        }
    }

    /// <summary>Processes a user probably means: those whose creation was seen, or that have no known parent,
    /// busiest first.</summary>
    public static IReadOnlyList<ProcessNode> Candidates(Analyzer a) =>
        a.Processes.Where(n => n.ParentSource == ParentSource.Creation || n.ParentSeq is null)
            .OrderByDescending(n => n.ParentSource == ParentSource.Creation).ThenByDescending(n => n.Calls).Take(20).ToList();
}

/// <summary>No sample was named (<see cref="Spec"/> null) or none matched it; <see cref="Candidates"/> lists
/// processes to choose from.</summary>
public sealed class SampleNotFoundException(string? spec, IReadOnlyList<ProcessNode> candidates)
    : Exception(Describe(spec, candidates))
{
    public string? Spec { get; } = spec;

    public IReadOnlyList<ProcessNode> Candidates { get; } = candidates;

    public static string Describe(string? spec, IReadOnlyList<ProcessNode> candidates)
    {
        var head = spec is null
            ? "no sample given: choose one with --sample NAME|PID|#SEQ"
            : $"no process matches --sample '{spec}'";
        var lines = candidates.Select(n =>
            $"  #{n.Seq}  {n.Name}  pid {n.Pid} (0x{n.Pid:x})  {n.Calls} " +
                $"calls{(n.ParentSource == ParentSource.Creation ? "  (created in the log)" : "")}");
        return head + (candidates.Count == 0 ? " (the log has no processes)" : "; candidates:\n" + string.Join('\n', lines));
    }
}
