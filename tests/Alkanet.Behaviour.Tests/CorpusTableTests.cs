using System.Globalization;
using System.Text;
using Alkanet.Analysis.Rules;

namespace Alkanet.Behaviour.Tests;

/// <summary>The corpus table of docs/VALIDATION.md is what the corpus measures now. scripts/corpus-table.sh
/// rewrites it (ALKANET_UPDATE_VALIDATION=1); otherwise this test fails when the table is stale.</summary>
public class CorpusTableTests
{
    private const string Begin = "<!-- corpus-table:begin (scripts/corpus-table.sh writes this part) -->";
    private const string End = "<!-- corpus-table:end -->";

    [Fact]
    public void The_corpus_table_in_VALIDATION_md_is_current()
    {
        var doc = Path.Combine(RepositoryRoot(), "docs", "VALIDATION.md");
        var text = File.ReadAllText(doc);
        var start = text.IndexOf(Begin, StringComparison.Ordinal);
        var end = text.IndexOf(End, StringComparison.Ordinal);
        (start >= 0 && end > start).ShouldBeTrue($"{doc}: the markers '{Begin}' and '{End}' are missing");
        var current = text[(start + Begin.Length)..end];
        var table = "\n" + Table();
        if (Environment.GetEnvironmentVariable("ALKANET_UPDATE_VALIDATION") == "1" && current != table)
        {
            File.WriteAllText(doc + ".partial", text[..(start + Begin.Length)] + table + text[end..]);
            File.Move(doc + ".partial", doc, overwrite: true);
            return;
        }
        current.ShouldBe(table, "docs/VALIDATION.md's corpus table is stale: run scripts/corpus-table.sh");
    }

    private static string Table()
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        var all = new List<TechniqueResult>();
        foreach (var os in new[] { "linux", "windows" })
        {
            var results = Corpus.RunAll(os);
            all.AddRange(results);
            sb.Append(inv, $"### {(os == "linux" ? "Linux (recorded in the analysis guest)" : "Windows (synthetic guest, real decoder)")}\n\n");
            sb.Append("| technique | expected | found (low and above) | result |\n|---|---|---|---|\n");
            foreach (var r in results)
            {
                var expected = r.Technique.Benign ? "nothing medium or high" : string.Join(", ", r.Technique.Attack);
                var found = r.Alarms.Count == 0 ? "—" : string.Join(", ", r.Alarms.Select(f => $"{f.Rule} ({f.Severity})").Distinct());
                string result;
                if (r.Technique.Benign) result = r.MediumOrHigh.Count == 0 ? "clean" : $"**{r.MediumOrHigh.Count} medium/high**";
                else if (r.Misses.Count == 0 && r.Extra.Count == 0) result = "found";
                else result = string.Join("; ", new[] { r.Misses.Count > 0 ? "**missed** " + string.Join(", ", r.Misses) : null,
                    r.Extra.Count > 0 ? "extra " + string.Join(", ", r.Extra) : null }.Where(s => s is not null));
                sb.Append(inv, $"| `{r.Technique.Id}` | {expected} | {found} | {result} |\n");
            }
            var s = Corpus.Score(results);
            sb.Append(inv, $"\n{os}: {results.Count(r => !r.Technique.Benign)} techniques, {s.Hits} of {s.Hits + s.Misses} expected ids found, ")
                .Append(inv, $"{s.FalseAlarms} false alarm(s); **recall {s.Recall:P0}, precision {s.Precision:P0}**; ")
                .Append(inv, $"benign runs: {results.Where(r => r.Technique.Benign).Sum(r => r.MediumOrHigh.Count)} medium/high finding(s).\n\n");
        }
        var ids = RuleSet.LoadDefault().Rules.SelectMany(r => r.Attack).Concat(Corpus.Techniques.SelectMany(t => t.Attack)).Distinct().ToList();
        var known = ids.Count(id => AttackCatalog.Default.TryGet(id, out _, out _));
        sb.Append(inv, $"ATT&CK ids in the rules and the corpus: {ids.Count}, of which {known} are current techniques in MITRE's bundle ")
            .Append("(data/attack/techniques.json).\n");
        return sb.ToString();
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Alkanet.slnx"))) return dir.FullName;
        throw new InvalidOperationException("tests must run inside the repository");
    }
}
