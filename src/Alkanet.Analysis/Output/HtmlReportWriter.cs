using System.Globalization;
using System.Net;
using System.Text;

namespace Alkanet.Analysis.Output;

/// <summary>A self-contained HTML page: the process tree as inline SVG (injections drawn as red arrows), the findings
/// with ATT&amp;CK links and their record numbers, injections, behaviour tables and a timeline. No scripts, no fetches.</summary>
public static class HtmlReportWriter
{
    private const int BoxW = 210, BoxH = 40, ColW = 250, RowH = 56, Pad = 16;

    public static string Write(Report r)
    {
        var sb = new StringBuilder();
        var procs = r.Processes.ToDictionary(p => p.Seq);
        string P(int seq) => procs.TryGetValue(seq, out var p) ? $"{p.Name}#{seq}" : $"#{seq}";
        var timelineNos = r.Timeline.Select(t => t.No).ToHashSet();
        string Recs(IEnumerable<long> nos) => string.Join(" ", nos.Take(12).Select(n => timelineNos.Contains(n)
            ? $"<a class=rec href=\"#no-{n}\">{n}</a>" : $"<span class=rec>{n}</span>"));

        sb.Append("<!doctype html><html lang=en><head><meta charset=utf-8><title>Alkanet report: ")
          .Append(E(string.Join(", ", r.Sample.Roots.Select(P)))).Append("</title><style>")
          .Append("body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2330;max-width:1200px}")
          .Append("h1{font-size:22px}h2{font-size:17px;border-bottom:1px solid #ccd;padding-bottom:4px;margin-top:28px}")
          .Append("table{border-collapse:collapse;width:100%;margin:8px 0}")
          .Append("td,th{border:1px solid #dde;padding:3px 6px;text-align:left;vertical-align:top;overflow-wrap:anywhere}")
          .Append("th{background:#f0f2f8;white-space:nowrap}.sev{white-space:nowrap;font-weight:600;text-transform:uppercase;font-size:12px}")
          .Append(".critical{color:#fff;background:#8b0000}.high{color:#fff;background:#c0392b}")
          .Append(".medium{background:#f5b041}.low{background:#d6eaf8}.info{background:#eee}")
          .Append(".rec{font:12px monospace;background:#eef;border-radius:3px;padding:0 3px;margin-right:2px;text-decoration:none}")
          .Append(".tag{font-size:11px;background:#fde;border-radius:3px;padding:0 3px;margin-right:2px}.meta{color:#555}")
          .Append("svg text{font:12px system-ui,sans-serif}")
          .Append("</style></head><body>");
        sb.Append("<h1>Alkanet report: ").Append(E(string.Join(", ", r.Sample.Roots.Select(P)))).Append("</h1>");
        sb.Append("<p class=meta>").Append(E(string.Join(", ", r.Input.Files))).Append(" (").Append(E(r.Input.Format)).Append(") — ")
          .Append(r.Input.Records.ToString("N0", CultureInfo.InvariantCulture)).Append(" records, ")
          .Append(r.Input.Calls.ToString("N0", CultureInfo.InvariantCulture)).Append(" calls")
          .Append(r.Input.LostRecords > 0 ? $", <b>{r.Input.LostRecords} records lost</b>" : "")
          .Append(". Sample ").Append(E(string.Join(", ", r.Sample.Names.Select(n => string.Create(CultureInfo.InvariantCulture,
              $"{n.Name} (pid {n.ProcessId}, 0x{n.ProcessId:x})")))))
              .Append(", <code>").Append(E(r.Sample.Spec)).Append("</code> chosen by ").Append(E(r.Sample.ChosenBy)).Append("; ")
          .Append(r.Sample.Processes.Count).Append(" process(es), ").Append(r.InjectedThreads.Count).Append(" injected thread(s).")
          .Append(r.Baseline is { } b ? $" Baseline removed {b.Removed} item(s)." : "").Append("</p>");

        sb.Append("<h2>Process tree</h2>").Append(Tree(r));

        sb.Append("<h2>Findings</h2>");
        if (r.Findings.Count == 0) sb.Append("<p>No rule matched.</p>");
        else
        {
            sb.Append("<table><tr><th>severity</th><th>finding</th><th>ATT&amp;CK</th><th>evidence</th><th>records</th></tr>");
            foreach (var f in r.Findings)
            {
                sb.Append("<tr><td><span class=\"sev ").Append(E(f.Severity)).Append("\">").Append(E(f.Severity)).Append("</span></td><td><b>")
                  .Append(E(f.Title)).Append("</b><br><span class=meta>").Append(E(f.Description)).Append("</span></td><td>");
                foreach (var t in f.Attack)
                    sb.Append("<a href=\"").Append(E(t.Url)).Append("\">").Append(E(t.Id)).Append("</a> ").Append(E(t.Name)).Append("<br>");
                sb.Append("</td><td>");
                foreach (var ev in f.Evidence.Take(8))
                    sb.Append(E(ev.Object)).Append(" <span class=meta>(").Append(E(ev.Kind)).Append(")</span><br>");
                if (f.Evidence.Count > 8) sb.Append("… ").Append(f.Evidence.Count - 8).Append(" more");
                sb.Append("</td><td>").Append(Recs(f.Records)).Append("</td></tr>");
            }
            sb.Append("</table>");
        }

        if (r.Injections.Count > 0)
        {
            sb.Append("<h2>Injections</h2><table><tr><th>source</th><th>target</th><th>technique</th><th>steps</th><th>records</th></tr>");
            foreach (var i in r.Injections)
                sb.Append("<tr><td>").Append(E(i.Source)).Append("</td><td>").Append(E(i.Target))
                  .Append("</td><td>").Append(E(string.Join(", ", i.Techniques)))
                  .Append("</td><td>").Append(E(string.Join(", ", i.Steps.Select(s => $"{s.Key} ×{s.Value}"))))
                  .Append("</td><td>").Append(Recs(i.Records)).Append("</td></tr>");
            sb.Append("</table>");
        }

        EvidenceSections.Html(sb, r);
        NetworkSections.Html(sb, r);
        Screenshots(sb, r.Screenshots);

        sb.Append("<h2>Behaviour</h2>");
        foreach (var g in r.Behaviour.GroupBy(i => i.Kind).OrderBy(g => g.Key is "file_open" or "registry_open" ? 1 : 0))
        {
            sb.Append("<h3>").Append(E(g.Key)).Append(" (").Append(g.Count()).Append(")</h3>")
              .Append("<table><tr><th>object</th><th>detail</th><th>process</th><th>count</th><th>records</th></tr>");
            foreach (var i in g.Take(300))
            {
                sb.Append("<tr><td>").Append(E(i.Object));
                foreach (var t in i.Tags) sb.Append(" <span class=tag>").Append(E(t)).Append("</span>");
                if (i.InjectedThread) sb.Append(" <span class=tag>injected thread</span>");
                sb.Append("</td><td>").Append(E(i.Detail ?? "")).Append("</td><td>").Append(E(P(i.ProcessSeq))).Append("</td><td>").Append(i.Count)
                  .Append("</td><td>").Append(Recs(i.Records)).Append("</td></tr>");
            }
            sb.Append("</table>");
        }

        sb.Append("<h2>Timeline</h2><table><tr><th>record</th><th>time</th><th>process</th><th>what</th></tr>");
        var t0 = r.Input.FirstNs;
        foreach (var t in r.Timeline)
            sb.Append("<tr id=\"no-").Append(t.No).Append("\"><td><span class=rec>").Append(t.No).Append("</span></td><td>")
              .Append(t.Ns is { } ns && t0 is { } z ? ((ns - z) / 1e9).ToString("+0.000 s", CultureInfo.InvariantCulture) : "")
              .Append("</td><td>").Append(E(P(t.ProcessSeq)))
              .Append("</td><td><b>").Append(E(t.Kind)).Append("</b> ").Append(E(t.Text)).Append("</td></tr>");
        sb.Append("</table></body></html>\n");
        return sb.ToString();
    }

    /// <summary>The sample's processes, their ancestors and injection targets as boxes; creation as grey lines, injection as red arrows.</summary>
    private static string Tree(Report r)
    {
        var shown = ReportWriters.Relevant(r);
        var nodes = r.Processes.Where(p => shown.Contains(p.Seq)).ToList();
        var children = nodes.ToLookup(p => p.ParentSeq is { } ps && shown.Contains(ps) ? ps : 0);
        var pos = new Dictionary<int, (int X, int Y)>();
        var row = 0;
        void Place(int parent, int depth)
        {
            foreach (var p in children[parent].OrderBy(p => p.Seq))
            {
                pos[p.Seq] = (Pad + depth * ColW, Pad + row++ * RowH);
                Place(p.Seq, depth + 1);
            }
        }
        Place(0, 0);
        if (pos.Count == 0) return "<p>No processes.</p>";
        var width = pos.Values.Max(v => v.X) + BoxW + 2 * Pad + 60;
        var height = pos.Values.Max(v => v.Y) + BoxH + 2 * Pad;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture,
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"process tree\">");
        sb.Append("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\">")
          .Append("<path d=\"M0,0L10,5L0,10z\" fill=\"#c0392b\"/></marker></defs>");
        foreach (var p in nodes)
        {
            if (p.ParentSeq is not { } ps || !pos.TryGetValue(ps, out var a) || !pos.TryGetValue(p.Seq, out var c)) continue;
            var x0 = a.X + 20; var y0 = a.Y + BoxH; var y1 = c.Y + BoxH / 2;
            sb.Append(CultureInfo.InvariantCulture, $"<path d=\"M{x0},{y0} V{y1} H{c.X}\" fill=\"none\" stroke=\"#889\" stroke-width=\"1.5\""
                + $"{(p.ParentSource == "creation" ? "" : " stroke-dasharray=\"4 3\"")}/>");
        }
        foreach (var inj in r.Injections)
        {
            if (!pos.TryGetValue(inj.SourceSeq, out var a) || !pos.TryGetValue(inj.TargetSeq, out var c)) continue;
            var x0 = a.X + BoxW; var y0 = a.Y + BoxH / 2; var x1 = c.X + BoxW; var y1 = c.Y + BoxH / 2;
            var bend = Math.Max(x0, x1) + 50;
            sb.Append(CultureInfo.InvariantCulture, $"<path d=\"M{x0},{y0} C{bend},{y0} {bend},{y1} {x1 + 2},{y1}\" fill=\"none\" stroke=\"#c0392b\""
                + $" stroke-width=\"2\" marker-end=\"url(#arrow)\"><title>{E(string.Join(", ", inj.Techniques))}</title></path>");
        }
        foreach (var p in nodes)
        {
            var (x, y) = pos[p.Seq];
            var fill = p.Role switch { "sample" => "#f9d6d5", "child" => "#fde9d9", "injected" => "#f6e0ff", _ => "#eef1f6" };
            var stroke = p.Role == "other" ? "#99a" : "#c0392b";
            sb.Append(CultureInfo.InvariantCulture, $"<g><title>{E(p.CommandLine ?? p.Image ?? p.Name)}</title>"
                + $"<rect x=\"{x}\" y=\"{y}\" width=\"{BoxW}\" height=\"{BoxH}\" rx=\"6\" fill=\"{fill}\" stroke=\"{stroke}\"/>");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + 8}\" y=\"{y + 16}\" font-weight=\"600\">{E(Clip(p.Name, 24))} #{p.Seq}</text>");
            sb.Append(CultureInfo.InvariantCulture,
                $"<text x=\"{x + 8}\" y=\"{y + 32}\" fill=\"#555\">"
                + $"pid {Convert.ToUInt64(p.Pid, 16)} · {p.Calls:N0} calls · {E(p.Role)}</text></g>");
        }
        sb.Append("</svg>");
        return sb.ToString();
    }

    private static string Clip(string s, int n) => s.Length <= n ? s : s[..(n - 1)] + "…";

    /// <summary>The run's screenshots, linked relatively (the report sits in the run folder beside screenshots/).</summary>
    private static void Screenshots(StringBuilder sb, List<string>? pictures)
    {
        if (pictures is not { Count: > 0 }) return;
        sb.Append("<h2>Screenshots</h2><p>");
        foreach (var p in pictures)
            sb.Append("<a href=\"").Append(E(p)).Append("\"><img src=\"").Append(E(p)).Append("\" alt=\"").Append(E(Path.GetFileName(p)))
              .Append("\" title=\"").Append(E(Path.GetFileName(p))).Append("\" style=\"width:320px;margin:4px;border:1px solid #dde\"></a>");
        sb.Append("</p>");
    }

    private static string E(string s) => WebUtility.HtmlEncode(s);
}
