using System.Globalization;
using System.Text;
using Alkanet.Analysis.Model;

namespace Alkanet.Analysis.Compare;

/// <summary>Matched, missed and extra items per category, with precision and recall (report vs reference).</summary>
public sealed class Comparison
{
    public List<CategoryComparison> Categories { get; } = [];

    public static Comparison Of(BehaviourSummary report, BehaviourSummary reference)
    {
        var c = new Comparison();
        foreach (var cat in reference.Categories.Keys.Union(report.Categories.Keys).Order(StringComparer.Ordinal))
        {
            var mine = report.Categories.GetValueOrDefault(cat) ?? [];
            var theirs = reference.Categories.GetValueOrDefault(cat) ?? [];
            var norm = NetworkCategories.KeyOf(cat) ?? (cat == "command_executions" ? CommandLineKey.Of : PathNormalizer.Normalize);
            var mineByKey = mine.GroupBy(norm).ToDictionary(g => g.Key, g => g.First());
            var theirsByKey = theirs.GroupBy(norm).ToDictionary(g => g.Key, g => g.First());
            c.Categories.Add(new CategoryComparison
            {
                Category = cat,
                Matched = theirsByKey.Keys.Where(mineByKey.ContainsKey).Order(StringComparer.Ordinal).Select(k => theirsByKey[k]).ToList(),
                Missed = theirsByKey.Keys.Where(k => !mineByKey.ContainsKey(k)).Order(StringComparer.Ordinal).Select(k => theirsByKey[k]).ToList(),
                Extra = mineByKey.Keys.Where(k => !theirsByKey.ContainsKey(k)).Order(StringComparer.Ordinal).Select(k => mineByKey[k]).ToList(),
            });
        }
        return c;
    }

    public string ToText(int show = 10)
    {
        var sb = new StringBuilder();
        sb.AppendLine("category                     matched  missed  extra  precision  recall");
        foreach (var cat in Categories)
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"{cat.Category,-28} {cat.Matched.Count,7} {cat.Missed.Count,7} {cat.Extra.Count,6}  {Pct(cat.Precision),9}  {Pct(cat.Recall),6}");
        foreach (var cat in Categories.Where(c => c.Missed.Count + c.Extra.Count > 0))
        {
            sb.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"{cat.Category}:");
            foreach (var m in cat.Missed.Take(show)) sb.AppendLine(CultureInfo.InvariantCulture, $"  missed  {m}");
            if (cat.Missed.Count > show) sb.AppendLine(CultureInfo.InvariantCulture, $"  missed  ... {cat.Missed.Count - show} more");
            foreach (var x in cat.Extra.Take(show)) sb.AppendLine(CultureInfo.InvariantCulture, $"  extra   {x}");
            if (cat.Extra.Count > show) sb.AppendLine(CultureInfo.InvariantCulture, $"  extra   ... {cat.Extra.Count - show} more");
        }
        return sb.ToString();
    }

    private static string Pct(double? v) => v is { } x ? x.ToString("P0", CultureInfo.InvariantCulture) : "-";
}

public sealed class CategoryComparison
{
    public string Category { get; set; } = "";

    public List<string> Matched { get; set; } = [];

    public List<string> Missed { get; set; } = [];

    public List<string> Extra { get; set; } = [];

    /// <summary>Of what the report says, the share the reference confirms; null when the report has none.</summary>
    public double? Precision => Matched.Count + Extra.Count == 0 ? null : (double)Matched.Count / (Matched.Count + Extra.Count);

    /// <summary>Of what the reference says, the share the report found; null when the reference has none.</summary>
    public double? Recall => Matched.Count + Missed.Count == 0 ? null : (double)Matched.Count / (Matched.Count + Missed.Count);
}
