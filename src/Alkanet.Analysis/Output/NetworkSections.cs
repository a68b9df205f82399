using System.Globalization;
using System.Net;
using System.Text;

namespace Alkanet.Analysis.Output;

/// <summary>The "Network" section of the Markdown and HTML reports (the JSON has <see cref="Report.Network"/>): DNS names
/// and answers, HTTP requests, TLS server names and fingerprints, flows with the processes that opened them, Suricata
/// alerts and the IOCs. Every value came from the guest's packets: escaped like any guest-chosen text.</summary>
internal static class NetworkSections
{
    private const int Cap = 200;

    public static void Markdown(StringBuilder sb, Report r)
    {
        if (r.Network is not { } n) return;
        string M(string s) => ReportWriters.Esc(s);
        string P(int seq) => r.Processes.FirstOrDefault(p => p.Seq == seq) is { } p ? $"{M(p.Name)}#{seq}" : $"#{seq}";
        sb.AppendLine("## Network").AppendLine();
        if (n.Error is not null)
        {
            sb.AppendLine($"**network.json could not be read**: {M(n.Error)}").AppendLine();
            return;
        }
        var bad = n.EveBadLines > 0 ? $"; {n.EveBadLines} eve.json line(s) unreadable" : "";
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"From {M(n.Source)}: {n.Dns.Count} DNS, {n.Http.Count} HTTP, {n.Tls.Count} TLS, {n.Flows.Count} flow(s), "
            + $"{n.Alerts.Count} alert(s){bad}."))
          .AppendLine();
        if (n.Capture?.Note is { } cut)
            sb.AppendLine($"**{cut}** (`--capture-limit`): frames after the cut, and their DNS, HTTP and flows, are not here.").AppendLine();
        if (n.Dns.Count > 0)
        {
            sb.AppendLine("| DNS name | type | answers |").AppendLine("|---|---|---|");
            foreach (var d in n.Dns.Take(Cap)) sb.AppendLine($"| {M(d.Name)} | {M(d.Type)} | {M(string.Join(", ", d.Answers))} |");
            sb.AppendLine();
        }
        if (n.Http.Count > 0)
        {
            sb.AppendLine("| method | host | URI | user agent | status | server |").AppendLine("|---|---|---|---|---|---|");
            foreach (var h in n.Http.Take(Cap))
                sb.AppendLine($"| {M(h.Method)} | {M(h.Host)} | {M(h.Uri)} | {M(h.UserAgent)} | {h.Status} | {M(h.Server)} |");
            sb.AppendLine();
        }
        if (n.Tls.Count > 0)
        {
            sb.AppendLine("| TLS server name | version | JA3 | JA3S | JA4 |").AppendLine("|---|---|---|---|---|");
            foreach (var t in n.Tls.Take(Cap))
                sb.AppendLine($"| {M(t.Sni)} | {M(t.Version ?? "")} | {M(t.Ja3 ?? "")} | {M(t.Ja3s ?? "")} | {M(t.Ja4 ?? "")} |");
            sb.AppendLine();
        }
        if (n.Flows.Count > 0)
        {
            sb.AppendLine("| process | proto | from | to | app | packets | records |").AppendLine("|---|---|---|---|---|---|---|");
            foreach (var f in n.Flows.Take(Cap))
                sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {Who(f, P, M)} | {M(f.Proto)} | {M(At(f.Src, f.SrcPort))} | {M(At(f.Dst, f.DstPort))} | {M(f.App ?? "")} | {f.Packets}"
                    + $" | {ReportWriters.Nos(f.Records)} |"));
            sb.AppendLine();
        }
        if (n.Alerts.Count > 0)
        {
            sb.AppendLine("| Suricata sid | signature | category | severity | from | to |").AppendLine("|---|---|---|---|---|---|");
            foreach (var a in n.Alerts.Take(Cap))
                sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {a.Sid} | {M(a.Signature)} | {M(a.Category)} | {a.Severity} | {M(a.Src)} | {M(a.Dst)} |"));
            sb.AppendLine();
        }
        sb.AppendLine($"IOCs: domains {M(List(n.Iocs.Domains))}; URLs {M(List(n.Iocs.Urls))}; addresses {M(List(n.Iocs.Ips))}.").AppendLine();
    }

    public static void Html(StringBuilder sb, Report r)
    {
        if (r.Network is not { } n) return;
        string P(int seq) => r.Processes.FirstOrDefault(p => p.Seq == seq) is { } p ? $"{p.Name}#{seq}" : $"#{seq}";
        sb.Append("<h2>Network</h2>");
        if (n.Error is not null)
        {
            sb.Append("<p><b>network.json could not be read</b>: ").Append(E(n.Error)).Append("</p>");
            return;
        }
        sb.Append("<p class=meta>From ").Append(E(n.Source)).Append(CultureInfo.InvariantCulture,
            $": {n.Dns.Count} DNS, {n.Http.Count} HTTP, {n.Tls.Count} TLS, {n.Flows.Count} flow(s), {n.Alerts.Count} alert(s).</p>");
        if (n.Capture?.Note is { } cutHtml)
            sb.Append("<p><b>").Append(E(cutHtml))
              .Append("</b> (--capture-limit): frames after the cut, and their DNS, HTTP and flows, are not here.</p>");
        Table(sb, ["DNS name", "type", "answers"], n.Dns.Select(d => new[] { d.Name, d.Type, string.Join(", ", d.Answers) }));
        Table(sb, ["method", "host", "URI", "user agent", "status", "server"],
            n.Http.Select(h => new[] { h.Method, h.Host, h.Uri, h.UserAgent, h.Status?.ToString(CultureInfo.InvariantCulture) ?? "", h.Server }));
        Table(sb, ["TLS server name", "version", "JA3", "JA3S", "JA4"],
            n.Tls.Select(t => new[] { t.Sni, t.Version ?? "", t.Ja3 ?? "", t.Ja3s ?? "", t.Ja4 ?? "" }));
        Table(sb, ["process", "proto", "from", "to", "app", "packets", "records"], n.Flows.Select(f => new[]
        {
            Who(f, P, s => s), f.Proto, At(f.Src, f.SrcPort), At(f.Dst, f.DstPort), f.App ?? "",
            f.Packets.ToString(CultureInfo.InvariantCulture), string.Join(" ", f.Records.Take(12)),
        }));
        Table(sb, ["Suricata sid", "signature", "category", "severity", "from", "to"], n.Alerts.Select(a => new[]
        {
            a.Sid.ToString(CultureInfo.InvariantCulture), a.Signature, a.Category, a.Severity.ToString(CultureInfo.InvariantCulture), a.Src, a.Dst,
        }));
        sb.Append("<p>IOCs: domains ").Append(E(List(n.Iocs.Domains))).Append("; URLs ").Append(E(List(n.Iocs.Urls)))
          .Append("; addresses ").Append(E(List(n.Iocs.Ips))).Append(".</p>");
    }

    /// <summary>The sample's processes that opened the flow, else the names network.json gives.</summary>
    private static string Who(ReportFlow f, Func<int, string> process, Func<string, string> escape) =>
        f.ProcessSeqs.Count > 0
            ? string.Join(", ", f.ProcessSeqs.Select(process)) + $" (match: {f.Match})"
            : escape(string.Join(", ", f.Processes));

    /// <summary>An endpoint as people write it: IP:PORT, [IPv6]:PORT, the address alone without a port (ICMP).</summary>
    private static string At(string ip, int port) =>
        port == 0 ? ip : ip.Contains(':', StringComparison.Ordinal) ? $"[{ip}]:{port}" : $"{ip}:{port}";

    private static void Table(StringBuilder sb, string[] heads, IEnumerable<string[]> rows)
    {
        var list = rows.Take(Cap).ToList();
        if (list.Count == 0) return;
        sb.Append("<table><tr>");
        foreach (var h in heads) sb.Append("<th>").Append(E(h)).Append("</th>");
        sb.Append("</tr>");
        foreach (var row in list)
        {
            sb.Append("<tr>");
            foreach (var c in row) sb.Append("<td>").Append(E(c)).Append("</td>");
            sb.Append("</tr>");
        }
        sb.Append("</table>");
    }

    private static string List(List<string> xs) => xs.Count == 0 ? "none" : string.Join(", ", xs);

    private static string E(string s) => WebUtility.HtmlEncode(s);
}
