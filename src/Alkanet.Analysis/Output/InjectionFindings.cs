using Alkanet.Analysis.Model;

namespace Alkanet.Analysis.Output;

/// <summary>
/// Puts the injection catalogue (<see cref="InjectionCatalogue"/>) into the report: each injection pair gets its techniques
/// with every step's records, and each technique that no rule reported one finding naming every source → target pair.
/// Where the catalogue classified a pair, a fallback rule's evidence (such as "memory written into
/// another process") is dropped for that pair; a technique a rule already reports for the pair is not reported twice.
/// </summary>
public static class InjectionFindings
{
    private sealed record Kind(string Title, string Severity, string Description);

    private static readonly Dictionary<string, Kind> Kinds = new(StringComparer.Ordinal)
    {
        ["process hollowing"] = new("Process hollowing", "critical",
            "The sample created a process suspended, replaced its code (unmapped, written or mapped, context set) and resumed it."),
        ["early bird APC injection"] = new("Early bird APC injection", "critical",
            "The sample created a process suspended, wrote into it and queued an APC to its first thread before resuming it."),
        ["APC injection"] = new("APC injection", "high", "The sample wrote into another process and queued an APC to one of its threads."),
        ["thread execution hijacking"] = new("Thread execution hijacking", "high",
            "The sample redirected an existing thread of another process (suspend, write, set context, resume)."),
        ["DLL injection by remote thread"] = new("DLL injection by remote thread", "high",
            "The sample wrote a DLL's path into another process and started a thread there to load it."),
        ["PE injection by remote thread"] = new("Code written into another process and run by a remote thread", "high",
            "The sample allocated memory in another process, wrote code into it and started a thread there."),
        ["section-mapping injection"] = new("Section mapped into another process and run", "high",
            "The sample mapped a section into another process and made one of its threads run it."),
        ["ptrace injection"] = new("Ptrace injection", "critical", "The sample wrote into another process or set its registers with ptrace."),
        ["/proc/PID/mem injection"] = new("Write to /proc/PID/mem", "critical", "The sample wrote into another process through /proc/PID/mem."),
        ["process_vm_writev injection"] = new("process_vm_writev into another process", "high",
            "The sample wrote into another process's memory with process_vm_writev."),
    };

    public static void Apply(Analyzer a, IReadOnlyDictionary<(int, int), List<SpreadEdge>> pairs, Report report, ReportOptions options)
    {
        var matches = InjectionCatalogue.Classify(a, pairs);
        if (matches.Count == 0) return;
        var byPair = matches.ToLookup(m => (m.SourceSeq, m.TargetSeq));

        foreach (var inj in report.Injections)
        {
            foreach (var m in byPair[(inj.SourceSeq, inj.TargetSeq)])
            {
                inj.Catalogue.Add(new ReportInjectionTechnique
                {
                    Technique = m.Technique, Attack = m.Attack, AttackName = options.Attack.FullName(m.Attack),
                    Steps = [.. m.Steps.Select(s => new ReportInjectionStep { Step = s.Step, Optional = s.Optional, Records = [.. s.Records] })],
                });
                var name = $"{m.Attack} {options.Attack.FullName(m.Attack)}";
                if (!inj.Techniques.Contains(name)) inj.Techniques.Insert(0, name);
            }
        }

        // A fallback rule's evidence ("memory written into another process") is dropped where the catalogue names the
        // technique; a rule that already names the same technique for the pair keeps it, and the catalogue adds nothing.
        var rules = options.Rules.Rules.ToDictionary(r => r.Id, StringComparer.Ordinal);
        foreach (var f in report.Findings.Where(f => rules.TryGetValue(f.Rule, out var rule) && rule.Fallback))
            f.Evidence.RemoveAll(ev => ev.TargetSeq is { } t && byPair[(ev.ProcessSeq, t)].Any());
        report.Findings.RemoveAll(f => f.Evidence.Count == 0);
        bool Told(InjectionMatch m) => report.Findings.Any(f => f.Attack.Any(x => x.Id == m.Attack)
            && f.Evidence.Any(ev => ev.ProcessSeq == m.SourceSeq && ev.TargetSeq == m.TargetSeq));
        matches = [.. matches.Where(m => !Told(m))];

        foreach (var group in matches.GroupBy(m => m.Technique))
        {
            var kind = Kinds[group.Key];
            var id = group.First().Attack;
            var finding = new ReportFinding
            {
                Rule = "injection-catalogue/" + group.Key.Replace(' ', '-').Replace("/", "", StringComparison.Ordinal).ToLowerInvariant(),
                Title = kind.Title, Description = kind.Description, Severity = kind.Severity,
                Attack = [.. (id == "T1055" ? new[] { id } : ["T1055", id]).Select(t => new ReportTechnique
                {
                    Id = t, Name = options.Attack.FullName(t), Url = Rules.AttackCatalog.Url(t),
                    Tactics = options.Attack.TryGet(t, out _, out var tactics) ? [.. tactics] : [],
                })],
            };
            foreach (var m in group)
                finding.Evidence.Add(new ReportEvidence
                {
                    Kind = string.Join(" > ", m.Steps.Where(s => s.Records.Count > 0).Select(s => s.Step)),
                    Object = $"{ReportBuilder.Label(a.Node(m.SourceSeq))} -> {ReportBuilder.Label(a.Node(m.TargetSeq))}",
                    ProcessSeq = m.SourceSeq, TargetSeq = m.TargetSeq, Records = [.. m.Records],
                });
            finding.Records = finding.Evidence.SelectMany(e => e.Records).Distinct().Order().Take(64).ToList();
            report.Findings.Add(finding);
        }
        report.Findings.Sort((x, y) => ReportBuilder.SeverityRank(y.Severity).CompareTo(ReportBuilder.SeverityRank(x.Severity)));
    }
}

/// <summary>One technique of the injection catalogue on one source → target pair.</summary>
public sealed class ReportInjectionTechnique
{
    /// <summary>The catalogue's name: "process hollowing", "PE injection by remote thread", ...</summary>
    public string Technique { get; set; } = "";

    /// <summary>The ATT&amp;CK (sub-)technique id, e.g. T1055.012.</summary>
    public string Attack { get; set; } = "";

    public string AttackName { get; set; } = "";

    /// <summary>The technique's steps in order; an optional step that was not seen has no records.</summary>
    public List<ReportInjectionStep> Steps { get; set; } = [];
}

public sealed class ReportInjectionStep
{
    public string Step { get; set; } = "";

    public bool Optional { get; set; }

    public List<long> Records { get; set; } = [];
}
