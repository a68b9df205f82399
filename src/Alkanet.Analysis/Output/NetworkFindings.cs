namespace Alkanet.Analysis.Output;

/// <summary>Puts the network section into the report: each flow joined to the sample's process that opened it, by 5-tuple
/// and time where the records give the local port (<see cref="FlowJoin"/>), else to the processes whose connect/sendto
/// named its responder address (the report's <c>network_connect</c> behaviour, with its records); and each Suricata
/// signature that fired as a finding (<c>suricata:SID</c>) whose evidence is the alert's endpoints and whose records are
/// those of the connections to its responder.</summary>
internal static class NetworkFindings
{
    public static void Apply(Report report, ReportNetwork network, IReadOnlyList<Model.SocketUse> uses)
    {
        report.Network = network;
        if (network.Error is not null) return;
        var connects = report.Behaviour.Where(i => i.Kind == Model.BehaviourKinds.NetworkConnect)
            .GroupBy(i => i.Object, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var byTuple = FlowJoin.Index(uses);
        foreach (var f in network.Flows)
        {
            if (FlowJoin.ByFiveTuple(f, byTuple) is { } use)
            {
                f.ProcessSeqs = [use.ProcessSeq];
                f.Records = [.. use.Records];
                f.Match = "5-tuple";
                continue;
            }
            if (!connects.TryGetValue(FlowJoin.Endpoint(f.Dst, f.DstPort), out var items)) continue;
            f.ProcessSeqs = [.. items.Select(i => i.ProcessSeq).Distinct().Order()];
            f.Records = [.. items.SelectMany(i => i.Records).Distinct().Order().Take(16)];
            f.Match = "address";
        }
        foreach (var g in network.Alerts.GroupBy(a => a.Sid))
        {
            var first = g.First();
            var evidence = g.Select(a => $"{a.Src} -> {a.Dst}").Distinct(StringComparer.Ordinal).Select(endpoints =>
            {
                var responder = endpoints[(endpoints.IndexOf(" -> ", StringComparison.Ordinal) + 4)..];
                var flows = network.Flows.Where(f => f.Dst == responder).ToList();
                return new ReportEvidence
                {
                    Kind = "network_alert", Object = endpoints, ProcessSeq = flows.SelectMany(f => f.ProcessSeqs).FirstOrDefault(),
                    Records = [.. flows.SelectMany(f => f.Records).Distinct().Order()],
                };
            }).ToList();
            report.Findings.Add(new ReportFinding
            {
                Rule = $"suricata:{g.Key}",
                Title = $"Suricata {g.Key}: {first.Signature}",
                Description = $"Suricata signature {g.Key} ({(first.Category.Length > 0 ? first.Category : "no category")}) fired "
                    + $"{g.Count()} time(s) on the run's capture.",
                Severity = first.Severity switch { 1 => "high", 2 => "medium", 3 => "low", _ => "info" },
                Evidence = evidence,
                Records = [.. evidence.SelectMany(e => e.Records).Distinct().Order().Take(64)],
            });
        }
        // Stable: the rule findings keep their order within a severity.
        report.Findings = [.. report.Findings.OrderByDescending(f => ReportBuilder.SeverityRank(f.Severity))];
    }
}
