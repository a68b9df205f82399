using Alkanet.Analysis.Evidence;
using Alkanet.Analysis.Rules;

namespace Alkanet.Analysis.Output;

/// <summary>YARA matches on the dropped files and injected memory, as findings: one per rule and content, with the rule's
/// tags in the title, its ATT&amp;CK technique from the meta (<c>attack</c>, <c>mitre_attack</c>, <c>technique</c> or
/// <c>mitre_att</c>), its severity from <c>severity</c> (default high), and the records of the artifact.</summary>
internal static class YaraFindings
{
    private static readonly string[] AttackKeys = ["attack", "mitre_attack", "technique", "mitre_att"];

    public static IEnumerable<ReportFinding> From(YaraRules rules, Report report, AttackCatalog attack)
    {
        var files = report.DroppedFiles.GroupBy(f => f.Sha256).ToDictionary(g => g.Key, g => g.ToList());
        var memory = report.InjectedMemory.GroupBy(m => m.Sha256).ToDictionary(g => g.Key, g => g.ToList());
        var contents = report.DroppedFileContent.Select(f => (f.Sha256, f.Content))
            .Concat(report.InjectedMemoryContent.Select(m => (m.Sha256, m.Content))).DistinctBy(c => c.Sha256);
        foreach (var m in rules.Scan(contents))
        {
            var evidence = new List<ReportEvidence>();
            foreach (var f in files.GetValueOrDefault(m.Sha256) ?? [])
                evidence.Add(new ReportEvidence { Kind = "dropped_file", Object = f.Path, ProcessSeq = f.WriterSeq, Records = f.Records });
            foreach (var r in memory.GetValueOrDefault(m.Sha256) ?? [])
                evidence.Add(new ReportEvidence
                {
                    Kind = "injected_memory", Object = $"pid 0x{r.TargetPid} at 0x{r.Address}", ProcessSeq = r.SourceSeq, Records = r.Records,
                });
            var ids = AttackKeys.Select(k => m.Meta.GetValueOrDefault(k)).OfType<string>()
                .SelectMany(v => v.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries)).Distinct().ToList();
            yield return new ReportFinding
            {
                Rule = "yara:" + m.Rule,
                Title = $"YARA rule {m.Rule} matched {string.Join(", ", evidence.Select(e => e.Object))}" +
                    (m.Tags.Count > 0 ? $" [{string.Join(", ", m.Tags)}]" : ""),
                Description = m.Meta.GetValueOrDefault("description") ?? "",
                Severity = m.Meta.GetValueOrDefault("severity") ?? "high",
                Attack = [.. ids.Select(id => new ReportTechnique
                {
                    Id = id, Name = attack.FullName(id), Url = AttackCatalog.Url(id), Tactics = attack.TryGet(id, out _, out var t) ? [.. t] : [],
                })],
                Evidence = evidence,
                Records = [.. evidence.SelectMany(e => e.Records).Distinct().Order().Take(64)],
            };
        }
    }
}
