using System.Globalization;
using System.Net;
using System.Text;

namespace Alkanet.Analysis.Output;

/// <summary>The "Dropped files" and "Injected memory" sections of the Markdown and HTML reports (the JSON has
/// <see cref="Report.DroppedFiles"/> and <see cref="Report.InjectedMemory"/>). The HTML links each content
/// (<c>files/SHA256</c>, <c>memory/SHA256</c>, beside the page in a run folder).</summary>
internal static class EvidenceSections
{
    public static void Markdown(StringBuilder sb, Report r)
    {
        InjectedMarkdown(sb, r);
        if (r.DroppedFiles.Count == 0) return;
        sb.AppendLine("## Dropped files").AppendLine();
        sb.AppendLine("| path | size | SHA-256 | type | state | writer | records |").AppendLine("|---|---|---|---|---|---|---|");
        foreach (var f in r.DroppedFiles)
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {Cell(string.Join(" → ", f.Paths))} | {f.Size:N0} | `{f.Sha256}` | {Cell(f.Type ?? "?")} | {State(f)} | #{f.WriterSeq}"
                    + $" | {Nos(f.Records)} |"));
        sb.AppendLine();
    }

    public static void Html(StringBuilder sb, Report r)
    {
        InjectedHtml(sb, r);
        if (r.DroppedFiles.Count == 0) return;
        sb.Append("<h2>Dropped files</h2><table><tr><th>path</th><th>size</th><th>SHA-256</th><th>type</th><th>state</th><th>writer</th>" +
            "<th>records</th></tr>");
        foreach (var f in r.DroppedFiles)
            sb.Append("<tr><td>").Append(E(string.Join(" → ", f.Paths)))
              .Append("</td><td>").Append(f.Size.ToString("N0", CultureInfo.InvariantCulture))
              .Append("</td><td><a href=\"").Append(E(f.Content)).Append("\" download><code>").Append(E(f.Sha256)).Append("</code></a></td><td>")
              .Append(E(f.Type ?? "?")).Append("</td><td>").Append(E(State(f))).Append("</td><td>#").Append(f.WriterSeq)
              .Append("</td><td>").Append(E(Nos(f.Records))).Append("</td></tr>");
        sb.Append("</table>");
    }

    private static void InjectedMarkdown(StringBuilder sb, Report r)
    {
        if (r.InjectedMemory.Count == 0) return;
        sb.AppendLine("## Injected memory").AppendLine();
        sb.AppendLine("| source | target pid | address | size | protection | SHA-256 | by | state | records |")
          .AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var m in r.InjectedMemory)
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| #{m.SourceSeq} | {m.TargetPid} | 0x{m.Address} | {m.Size:N0} | {Cell(Protection(m))} | `{m.Sha256}`"
                    + $" | {string.Join(", ", m.Techniques)} | {Cell(MemState(m))} | {Nos(m.Records)} |"));
        sb.AppendLine();
    }

    private static void InjectedHtml(StringBuilder sb, Report r)
    {
        if (r.InjectedMemory.Count == 0) return;
        sb.Append("<h2>Injected memory</h2><table><tr><th>source</th><th>target pid</th><th>address</th><th>size</th><th>protection</th>" +
            "<th>SHA-256</th><th>by</th><th>state</th><th>records</th></tr>");
        foreach (var m in r.InjectedMemory)
            sb.Append("<tr><td>#").Append(m.SourceSeq).Append("</td><td>").Append(E(m.TargetPid)).Append("</td><td>0x").Append(E(m.Address))
              .Append("</td><td>").Append(m.Size.ToString("N0", CultureInfo.InvariantCulture)).Append("</td><td>").Append(E(Protection(m)))
              .Append("</td><td><a href=\"").Append(E(m.Content))
              .Append("\" download><code>").Append(E(m.Sha256)).Append("</code></a></td><td>").Append(E(string.Join(", ", m.Techniques)))
              .Append("</td><td>").Append(E(MemState(m))).Append("</td><td>").Append(E(Nos(m.Records))).Append("</td></tr>");
        sb.Append("</table>");
    }

    /// <summary>The protection at the write, and the last one when it changed after (e.g. <c>PAGE_READWRITE → PAGE_EXECUTE_READ</c>).</summary>
    private static string Protection(ReportInjectedMemory m) => m.ProtectAtWrite is null && m.ProtectLast is null ? "unknown"
        : m.ProtectLast is null || m.ProtectLast == m.ProtectAtWrite ? m.ProtectAtWrite! : $"{m.ProtectAtWrite ?? "unknown"} → {m.ProtectLast}";

    private static string MemState(ReportInjectedMemory m) => m.Partial ? "partial: " + string.Join("; ", m.PartialReasons) : "complete";

    private static string State(ReportDroppedFile f) =>
        (f.Deleted ? "deleted" : "present") + (f.Partial ? $"; partial: {string.Join("; ", f.PartialReasons)}" : "");

    private static string Nos(List<long> nos) => nos.Count == 0 ? "" : string.Join(", ", nos.Take(6)) + (nos.Count > 6 ? ", …" : "");

    private static string Cell(string s) => s.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    private static string E(string s) => WebUtility.HtmlEncode(s);
}
