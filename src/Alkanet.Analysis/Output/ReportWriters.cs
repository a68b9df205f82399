using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Alkanet.Analysis.Output;

/// <summary>JSON (the documented schema) and Markdown renderings of a report.</summary>
public static class ReportWriters
{
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = System.Text.Json.Serialization.Metadata.JsonTypeInfoResolver.Combine(
            ReportJsonContext.Default, new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver()),
    };

    public static string ToJson(Report r) => JsonSerializer.Serialize(r, Json);

    public static Report FromJson(string json) => JsonSerializer.Deserialize<Report>(json, Json) ?? throw new JsonException("empty report");

    public static string ToMarkdown(Report r)
    {
        var sb = new StringBuilder();
        var procs = r.Processes.ToDictionary(p => p.Seq);
        string P(int seq) => procs.TryGetValue(seq, out var p) ? $"{Esc(p.Name)}#{seq}" : $"#{seq}";
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"# Alkanet report: {string.Join(", ", r.Sample.Roots.Select(P))}"));
        sb.AppendLine();
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Input: {string.Join(", ", r.Input.Files)} ({r.Input.Format}); {r.Input.Records:N0} records, {r.Input.Calls:N0} calls"
            + $", records no {r.Input.FirstNo}..{r.Input.LastNo}")
            + (r.Input.LostRecords > 0 ? $", **{r.Input.LostRecords:N0} records lost**" : "")
            + (r.Input.SkippedRecords > 0 ? $", {r.Input.SkippedRecords:N0} skipped" : "") + ".");
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Sample: {SampleNames(r.Sample)} (`{r.Sample.Spec}` chosen by {r.Sample.ChosenBy}); {r.Sample.Processes.Count} process(es), "
            + $"{r.InjectedThreads.Count} injected thread(s)."));
        if (r.Baseline is { } b)
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"Baseline: {string.Join(", ", b.Files)} removed {b.Removed} item(s) also seen without the sample."));
        sb.AppendLine();

        sb.AppendLine("## Findings").AppendLine();
        if (r.Findings.Count == 0) sb.AppendLine("No rule matched.");
        else
        {
            sb.AppendLine("| severity | finding | ATT&CK | evidence | records |").AppendLine("|---|---|---|---|---|");
            foreach (var f in r.Findings)
                sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {f.Severity} | {Esc(f.Title)} | {string.Join(", ", f.Attack.Select(t => $"{t.Id} {t.Name}"))}"
                    + $" | {Esc(EvidenceText(f.Evidence))} | {Nos(f.Records)} |"));
        }
        sb.AppendLine();

        sb.AppendLine("## Process tree").AppendLine();
        var shown = Relevant(r);
        var children = r.Processes.Where(p => shown.Contains(p.Seq)).ToLookup(p => p.ParentSeq is { } ps && shown.Contains(ps) ? ps : 0);
        void Walk(int parent, int depth)
        {
            foreach (var p in children[parent])
            {
                sb.Append(' ', depth * 2).AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"- **{Esc(p.Name)}** #{p.Seq} pid {Convert.ToUInt64(p.Pid, 16)} (0x{p.Pid}) [{p.Role}] {p.Calls:N0} calls"
                    + $", records {p.FirstNo}..{p.LastNo}{(p.ExitNo is { } x ? $", exit at {x}" : "")}"
                    + $"{(p.ParentSource is "creation" or "unknown" ? "" : $", parent from {p.ParentSource}")}") +
                    (p.CommandLine is { } cmd ? $"  \n{new string(' ', depth * 2 + 2)}`{Code(cmd)}`" : ""));
                Walk(p.Seq, depth + 1);
            }
        }
        Walk(0, 0);
        sb.AppendLine();

        if (r.Injections.Count > 0)
        {
            sb.AppendLine("## Injections").AppendLine();
            sb.AppendLine("| source | target | technique | steps | records |").AppendLine("|---|---|---|---|---|");
            foreach (var i in r.Injections)
                sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {Esc(i.Source)} | {Esc(i.Target)} | {Esc(string.Join(", ", i.Techniques))}"
                    + $" | {string.Join(", ", i.Steps.Select(s => $"{s.Key} x{s.Value}"))} | {Nos(i.Records)} |"));
            var proven = r.Injections.Where(i => i.Catalogue.Count > 0).ToList();
            if (proven.Count > 0)
            {
                sb.AppendLine()
                  .AppendLine("Techniques and the records of each step (a step in brackets is optional; \"not seen\" it was absent):")
                  .AppendLine();
                foreach (var i in proven)
                    foreach (var t in i.Catalogue)
                        sb.AppendLine(
                            string.Create(CultureInfo.InvariantCulture, $"- {Esc(i.Source)} -> {Esc(i.Target)}: **{Esc(t.Technique)}** {t.Attack}: ")
                            + string.Join("; ", t.Steps.Select(s =>
                                (s.Optional ? $"[{s.Step}]" : s.Step) + " " + (s.Records.Count == 0 ? "not seen" : Nos(s.Records)))));
            }
            if (r.InjectedThreads.Count > 0)
            {
                sb.AppendLine().AppendLine("Threads running injected code (their behaviour is the sample's):").AppendLine();
                foreach (var t in r.InjectedThreads)
                    sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                        $"- {P(t.ProcessSeq)} thread {t.Tid}: {Esc(t.Technique)} by {P(t.BySeq)} thread {t.ByTid} (record {t.No})"));
            }
            sb.AppendLine();
        }

        EvidenceSections.Markdown(sb, r);
        NetworkSections.Markdown(sb, r);

        sb.AppendLine("## Behaviour").AppendLine();
        foreach (var group in r.Behaviour.Where(i => i.Kind != "file_open" && i.Kind != "registry_open").GroupBy(i => i.Kind))
        {
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"### {group.Key} ({group.Count()})")).AppendLine();
            sb.AppendLine("| object | detail | marks | process | count | records |").AppendLine("|---|---|---|---|---|---|");
            foreach (var i in group.Take(200))
                sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {Esc(i.Object)} | {Esc(Short(i.Detail))} | {string.Join(' ', i.Tags)}{(i.InjectedThread ? " injected-thread" : "")}"
                    + $" | {P(i.ProcessSeq)} | {i.Count} | {Nos(i.Records)} |"));
            sb.AppendLine();
        }
        var opened = r.Behaviour.Count(i => i.Kind is "file_open" or "registry_open");
        if (opened > 0)
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"Also {opened} file or registry key(s) only opened (in the JSON output)."))
              .AppendLine();
        return sb.ToString();
    }

    /// <summary>The processes worth drawing: the sample's, their ancestors, and the processes they injected into.</summary>
    public static HashSet<int> Relevant(Report r)
    {
        var byId = r.Processes.ToDictionary(p => p.Seq);
        var set = new HashSet<int>(r.Processes.Where(p => p.Role != "other").Select(p => p.Seq));
        foreach (var seq in set.ToList())
        {
            var cur = byId[seq];
            var guard = 0;
            while (cur.ParentSeq is { } ps && byId.TryGetValue(ps, out var parent) && guard++ < 64) { set.Add(ps); cur = parent; }
        }
        return set;
    }

    /// <summary>Each object once, with the kinds of behaviour that name it (a dropped file is created,
    /// written and made executable: one object, three kinds), at most three objects.</summary>
    private static string EvidenceText(List<ReportEvidence> evidence)
    {
        // Cross-process evidence: each source once with every one of its targets, so no victim is left out.
        if (evidence.Count > 0 && evidence.All(e => e.TargetSeq is not null && e.Object.Contains(" -> ", StringComparison.Ordinal)))
            return string.Join("; ", evidence.GroupBy(e => e.Object[..e.Object.IndexOf(" -> ", StringComparison.Ordinal)], StringComparer.Ordinal)
                .Select(g => $"{g.Key} -> "
                    + $"{string.Join(", ", g.Select(e => e.Object[(e.Object.IndexOf(" -> ", StringComparison.Ordinal) + 4)..]).Distinct())}"
                    + $" ({string.Join(", ", g.Select(e => e.Kind).Distinct(StringComparer.Ordinal))})"));
        var byObject = evidence.GroupBy(e => e.Object, StringComparer.Ordinal)
            .Select(g => $"{g.Key} ({string.Join(", ", g.Select(e => e.Kind).Distinct(StringComparer.Ordinal))})")
            .ToList();
        return string.Join("; ", byObject.Take(3)) + (byObject.Count > 3 ? $" (+{byObject.Count - 3})" : "");
    }

    /// <summary>The sample by image name and decimal pid (with the log's hex), never by its hex pid alone.</summary>
    internal static string SampleNames(ReportSample s) =>
        s.Names.Count == 0 ? "(none)" : string.Join(", ", s.Names.Select(n => string.Create(CultureInfo.InvariantCulture,
            $"**{Esc(n.Name.Length > 0 ? n.Name : "?")}** pid {n.ProcessId} (0x{n.ProcessId:x})")));

    internal static string Nos(List<long> nos) => nos.Count == 0 ? "" : string.Join(", ", nos.Take(6)) + (nos.Count > 6 ? ", …" : "");

    private static string Short(string? s) => s is null ? "" : s.Length > 100 ? s[..99] + "…" : s;

    /// <summary>Guest-chosen text (process names, paths, registry values) as Markdown that renders as that text: no HTML
    /// (a name like <c>&lt;img onerror=..&gt;</c> would run in a viewer that renders Markdown to HTML), no links, no
    /// table cell breaks, one line.</summary>
    internal static string Esc(string s)
    {
        var sb = new StringBuilder(s.Length + 8);
        foreach (var c in s)
        {
            switch (c)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '|' or '[' or ']': sb.Append('\\').Append(c); break;
                case '\n' or '\r': sb.Append(' '); break;
                default: sb.Append(c); break;
            }
        }
        return sb.ToString();
    }

    /// <summary>Text inside a code span (shown literally, HTML included): it must not end the span or the line.</summary>
    private static string Code(string s) => s.Replace('`', '\'').Replace('\n', ' ').Replace('\r', ' ');
}
