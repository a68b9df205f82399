using System.Text.RegularExpressions;
using Alkanet.Analysis.Model;
using Alkanet.Analysis.Rules;

namespace Alkanet.Analysis.Output;

public sealed class ReportOptions
{
    public RuleSet Rules { get; init; } = RuleSet.LoadDefault();

    public AttackCatalog Attack { get; init; } = AttackCatalog.Default;

    public BaselineSet? Baseline { get; init; }

    public string ChosenBy { get; init; } = "--sample";

    public int TimelineCap { get; init; } = 1000;

    /// <summary>True: dropped files of every process (<c>--capture all</c>); false: the sample's processes only.</summary>
    public bool DroppedFilesOfAll { get; init; }

    /// <summary>YARA rules run over the dropped files and injected memory (<c>--yara</c>); null: none.</summary>
    public Evidence.YaraRules? Yara { get; init; }

    /// <summary>The run's network section, read from its network.json by the pipeline; null: the run had no network.</summary>
    public ReportNetwork? Network { get; init; }
}

/// <summary>Builds the report: the sample's processes and injected threads, their behaviour (less the
/// baseline), the injections, and the findings of the rules with the records that prove them.</summary>
public static class ReportBuilder
{
    public static Report Build(Analyzer a, SampleScope scope, ReportOptions options, ReportInput input)
    {
        var report = new Report { Input = input };
        input.Calls = a.Calls;
        input.LostRecords = a.LostRecords;
        input.FirstNo = a.FirstNo;
        input.LastNo = a.LastNo;
        input.FirstNs = a.FirstNs;
        input.LastNs = a.LastNs;
        report.Sample = new ReportSample
        {
            Spec = scope.Spec, ChosenBy = options.ChosenBy, Roots = [.. scope.Roots],
            Processes = [.. scope.Processes.Order()],
            Names = [.. scope.Roots.Select(r => new ReportSampleName(a.Node(r).Name, a.Node(r).Pid))],
        };

        // Behaviour of the sample's processes and of the threads it injected.
        var items = new List<BehaviourItem>();
        foreach (var seq in scope.Processes.Order())
        {
            items.AddRange(a.ItemsOf(seq));
            foreach (var key in a.InjectedBagKeys.Where(k => k.Seq == seq)) items.AddRange(a.ItemsOfInjectedThread(key.Seq, key.Tid));
        }
        foreach (var key in scope.Threads.Keys.OrderBy(k => k)) items.AddRange(a.ItemsOfInjectedThread(key.Seq, key.Tid));
        if (options.Baseline is { } baseline)
        {
            var before = items.Count;
            items.RemoveAll(i => baseline.Contains(i.Kind, i.Object));
            report.Baseline = new ReportBaseline { Files = baseline.Files, Removed = before - items.Count };
        }
        items.Sort((x, y) => x.FirstNo.CompareTo(y.FirstNo));
        report.Behaviour = items.Select(i => new ReportItem
        {
            Kind = i.Kind, Object = i.Object, Detail = i.Detail, Tags = [.. i.Tags], ProcessSeq = i.ProcessSeq,
            Tid = i.Tid.ToString("x"), InjectedThread = i.ByInjectedThread, Count = i.Count, FirstNo = i.FirstNo,
            FirstNs = i.FirstNs, Records = [.. i.Records.Order()],
        }).ToList();

        // Cross-process operations by the sample (processes, or injected threads acting from other processes).
        var edges = a.Edges.Where(e => scope.Contains(e.SourceSeq)
            || e.SourceTids.Any(t => scope.Threads.ContainsKey((e.SourceSeq, t)))).ToList();
        var pairs = edges.Where(e => e.Kind != SpreadKinds.ProcessCreate)
            .GroupBy(e => (e.SourceSeq, e.TargetSeq)).ToDictionary(g => g.Key, g => g.ToList());

        // Rules.
        var selfImages = scope.Processes.Select(s => a.Node(s).Image).Where(i => i is not null)
            .Select(i => PathNormalizer.Normalize(i!)).ToHashSet(StringComparer.Ordinal);
        var pairTechniques = new Dictionary<(int, int), List<string>>();
        var sequenceMatched = new HashSet<(int, int)>();
        foreach (var rule in options.Rules.Rules.OrderBy(r => r.Fallback))
        {
            ReportFinding? finding = null;
            if (rule.Match is { } m)
            {
                var regexObject = m.Object is null ? null : new Regex(m.Object, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
                var regexDetail = m.Detail is null ? null : new Regex(m.Detail, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
                foreach (var i in items)
                {
                    if (!m.Kind.Contains(i.Kind)) continue;
                    if (regexObject is not null && !regexObject.IsMatch(i.Object)) continue;
                    if (regexDetail is not null && !regexDetail.IsMatch(i.Detail ?? "")) continue;
                    if (m.Tag is not null && !i.Tags.Contains(m.Tag)) continue;
                    if (m.SelfImage && !selfImages.Contains(PathNormalizer.Normalize(i.Object))) continue;
                    finding ??= NewFinding(rule, options.Attack);
                    finding.Evidence.Add(new ReportEvidence
                    {
                        Kind = i.Kind, Object = i.Object, ProcessSeq = i.ProcessSeq, Records = [.. i.Records.Order()],
                    });
                }
            }
            else if (rule.Sequence is { } steps)
            {
                foreach (var ((src, dst), pairEdges) in pairs.OrderBy(p => p.Key))
                {
                    if (rule.Fallback && sequenceMatched.Contains((src, dst))) continue;
                    var isChild = a.Node(dst).ParentSeq == src && a.Node(dst).ParentSource == ParentSource.Creation;
                    if (rule.TargetIsChild is { } mustBeChild && mustBeChild != isChild) continue;
                    var chosen = MatchSequence(steps, pairEdges);
                    if (chosen is null) continue;
                    sequenceMatched.Add((src, dst));
                    finding ??= NewFinding(rule, options.Attack);
                    finding.Evidence.Add(new ReportEvidence
                    {
                        Kind = string.Join(" > ", chosen.Select(c => c.Kind)),
                        Object = $"{Label(a.Node(src))} -> {Label(a.Node(dst))}",
                        ProcessSeq = src, TargetSeq = dst, Records = chosen.Select(c => c.No).ToList(),
                    });
                    if (!pairTechniques.TryGetValue((src, dst), out var list)) pairTechniques[(src, dst)] = list = [];
                    list.AddRange(rule.Attack.Select(t => $"{t} {options.Attack.FullName(t)}").Where(t => !list.Contains(t)));
                }
            }
            if (finding is null) continue;
            finding.Records = finding.Evidence.SelectMany(e => e.Records).Distinct().Order().Take(64).ToList();
            report.Findings.Add(finding);
        }
        report.Findings.Sort((x, y) => SeverityRank(y.Severity).CompareTo(SeverityRank(x.Severity)));

        // Injections: pairs with at least one step that puts code or control into the target.
        foreach (var ((src, dst), pairEdges) in pairs.OrderBy(p => p.Key))
        {
            if (!pairEdges.Any(e => SpreadKinds.IsInjecting(e.Kind))) continue;
            report.Injections.Add(new ReportInjection
            {
                SourceSeq = src, TargetSeq = dst, Source = Label(a.Node(src)), Target = Label(a.Node(dst)),
                Techniques = pairTechniques.GetValueOrDefault((src, dst)) ?? [],
                Steps = new SortedDictionary<string, long>(pairEdges.ToDictionary(e => e.Kind, e => e.Count), StringComparer.Ordinal),
                Records = pairEdges.SelectMany(e => e.Records).Order().Take(64).ToList(),
            });
        }

        InjectionFindings.Apply(a, pairs, report, options);

        foreach (var ((seq, tid), by) in scope.Threads.OrderBy(t => t.Key))
            report.InjectedThreads.Add(new ReportInjectedThread
            {
                ProcessSeq = seq, Tid = tid.ToString("x"), BySeq = by.SourceSeq, ByTid = by.SourceTid.ToString("x"),
                Technique = by.Technique, No = by.No,
            });
        var injectedInto = scope.Threads.Keys.Select(k => k.Seq).Concat(report.Injections.Select(i => i.TargetSeq)).ToHashSet();
        foreach (var n in a.Processes)
        {
            report.Processes.Add(new ReportProcess
            {
                Seq = n.Seq, Pid = n.Pid.ToString("x"), ProcessId = n.Pid, Name = n.Name, Image = n.Image, CommandLine = n.CommandLine,
                ParentSeq = n.ParentSeq, ParentPid = n.ParentPid?.ToString("x"), ParentProcessId = n.ParentPid,
                ParentSource = n.ParentSource switch
                {
                    ParentSource.Creation => "creation", ParentSource.ProcPpid => "proc_ppid",
                    ParentSource.Importer => "importer", _ => "unknown",
                },
                Role = scope.Roots.Contains(n.Seq) ? "sample" : scope.Contains(n.Seq) ? "child" : injectedInto.Contains(n.Seq) ? "injected" : "other",
                CreatedNo = n.CreatedNo, FirstNo = n.FirstNo, LastNo = n.LastNo, ExitNo = n.ExitNo, StartNs = n.StartNs,
                ExitNs = n.ExitNs, Calls = n.Calls, Threads = n.Threads.Count,
            });
        }

        // Timeline.
        var timeline = report.Behaviour.Select(i => new ReportTimelineEntry
        {
            No = i.FirstNo, Ns = i.FirstNs, ProcessSeq = i.ProcessSeq, Kind = i.Kind,
            Text = i.Detail is null ? i.Object : $"{i.Object} ({Shorten(i.Detail, 80)})",
        }).Concat(edges.Where(e => e.Records.Count > 0).Select(e => new ReportTimelineEntry
        {
            No = e.Records[0], ProcessSeq = e.SourceSeq, Kind = e.Kind,
            Text = $"-> {Label(a.Node(e.TargetSeq))}" + (e.Count > 1 ? $" (x{e.Count})" : ""),
        })).OrderBy(t => t.No).Take(options.TimelineCap).ToList();
        report.Timeline = timeline;
        report.DroppedFileContent = Evidence.DroppedFileArtifact.From(a, options.DroppedFilesOfAll ? _ => true : scope.Contains);
        report.DroppedFiles = [.. report.DroppedFileContent.Select(ReportDroppedFile.From)];
        report.InjectedMemoryContent = Evidence.InjectedMemoryArtifact.From(a, options.DroppedFilesOfAll ? _ => true : scope.Contains);
        report.InjectedMemory = [.. report.InjectedMemoryContent.Select(ReportInjectedMemory.From)];
        if (options.Yara is { } yara) report.Findings.AddRange(YaraFindings.From(yara, report, options.Attack));
        if (options.Network is { } network) NetworkFindings.Apply(report, network, [.. a.SocketUses.Where(u => scope.Contains(u.ProcessSeq))]);
        return report;
    }

    public static string Label(ProcessNode n) => $"{n.Name}#{n.Seq}";

    private static string Shorten(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";

    public static int SeverityRank(string s) => s switch
    {
        "critical" => 4, "high" => 3, "medium" => 2, "low" => 1, _ => 0,
    };

    private static ReportFinding NewFinding(Rule rule, AttackCatalog attack) => new()
    {
        Rule = rule.Id, Title = rule.Title, Description = rule.Description, Severity = rule.Severity,
        Attack = rule.Attack.Select(id => new ReportTechnique
        {
            Id = id, Name = attack.FullName(id), Url = AttackCatalog.Url(id),
            Tactics = attack.TryGet(id, out _, out var t) ? [.. t] : [],
        }).ToList(),
    };

    /// <summary>Finds the steps in order: each step takes the earliest record of one of its kinds after the previous
    /// step's; an optional step that is absent is skipped. Null when a required step is missing.</summary>
    internal static List<(string Kind, long No)>? MatchSequence(IReadOnlyList<string> steps, IReadOnlyList<SpreadEdge> edges) =>
        MatchFrom(steps, 0, edges, long.MinValue);

    private static List<(string Kind, long No)>? MatchFrom(IReadOnlyList<string> steps, int index, IReadOnlyList<SpreadEdge> edges, long after)
    {
        if (index == steps.Count) return [];
        var optional = steps[index].EndsWith('?');
        var kinds = steps[index].TrimEnd('?').Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        (string Kind, long No)? best = null;
        foreach (var e in edges)
        {
            if (!kinds.Contains(e.Kind)) continue;
            foreach (var no in e.Records)
            {
                if (no <= after) continue;
                if (best is null || no < best.Value.No) best = (e.Kind, no);
                break; // records are in order
            }
        }
        if (best is { } b && MatchFrom(steps, index + 1, edges, b.No) is { } rest)
        {
            rest.Insert(0, b);
            return rest;
        }
        // An optional step may be absent (or only occur too late): try without it.
        return optional ? MatchFrom(steps, index + 1, edges, after) : null;
    }
}
