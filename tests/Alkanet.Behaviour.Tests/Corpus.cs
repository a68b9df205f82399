using Alkanet.Analysis.Importers;
using Alkanet.Analysis.Model;
using Alkanet.Analysis.Output;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Alkanet.Behaviour.Tests;

/// <summary>One technique of samples/corpus/corpus.yaml.</summary>
public sealed class CorpusTechnique
{
    public string Id { get; set; } = "";

    public string Os { get; set; } = "";

    public List<string> Attack { get; set; } = [];

    public Dictionary<string, string> Tolerate { get; set; } = [];

    public List<string> Forbid { get; set; } = [];

    public bool Benign { get; set; }

    /// <summary>What may not be found: the listed ids and masquerading (the old false alarm) unless expected.</summary>
    public IEnumerable<string> Forbidden => Attack.Contains("T1036.005") ? Forbid : Forbid.Append("T1036.005");

    public override string ToString() => Id;
}

/// <summary>What the report found for one technique: its findings of severity low or above.</summary>
public sealed record TechniqueResult(CorpusTechnique Technique, IReadOnlyList<ReportFinding> Findings)
{
    private static readonly string[] Ranks = ["info", "low", "medium", "high", "critical"];

    public static int Rank(string severity) => Array.IndexOf(Ranks, severity);

    public IReadOnlyList<ReportFinding> Alarms => Findings.Where(f => Rank(f.Severity) >= Rank("low")).ToList();

    public IReadOnlySet<string> Found => Alarms.SelectMany(f => f.Attack.Select(a => a.Id)).ToHashSet(StringComparer.Ordinal);

    public IReadOnlyList<string> Hits => Technique.Attack.Where(Found.Contains).ToList();

    public IReadOnlyList<string> Misses => Technique.Attack.Where(t => !Found.Contains(t)).ToList();

    /// <summary>Ids found that the technique neither expects nor tolerates: false alarms.</summary>
    public IReadOnlyList<string> Extra => Found.Where(t => !Technique.Attack.Contains(t) && !Technique.Tolerate.ContainsKey(t)).Order().ToList();

    public IReadOnlyList<ReportFinding> MediumOrHigh => Alarms.Where(f => Rank(f.Severity) >= Rank("medium")).ToList();
}

/// <summary>The corpus: its manifest, the recorded Linux runs and the Windows techniques' decoded records, each
/// technique's report.</summary>
public static class Corpus
{
    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    /// <summary>The recorded Linux runs: every technique in one guest, and the benign script alone in another
    /// (whose whole guest, boot included, is judged).</summary>
    public static readonly string LinuxTechniquesLog = Fixture("linux-corpus.jsonl.gz");

    public static readonly string LinuxBenignLog = Fixture("linux-benign.jsonl.gz");

    private static readonly Lazy<IReadOnlyList<CorpusTechnique>> Manifest = new(() =>
    {
        var d = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build();
        var list = d.Deserialize<List<CorpusTechnique>>(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "corpus", "corpus.yaml")));
        var dup = list.GroupBy(t => t.Id).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new InvalidDataException($"corpus.yaml: technique '{dup.Key}' appears twice");
        return list;
    });

    public static IReadOnlyList<CorpusTechnique> Techniques => Manifest.Value;

    public static CorpusTechnique Get(string id) => Techniques.Single(t => t.Id == id);

    public static IEnumerable<CorpusTechnique> Of(string os) => Techniques.Where(t => t.Os == os);

    private static readonly Lazy<Analyzer> LinuxRun = new(() => Analyze(LinuxTechniquesLog));

    private static readonly Lazy<Analyzer> LinuxBenignRun = new(() => Analyze(LinuxBenignLog));

    private static readonly Lazy<(Analyzer Analyzer, string Log)> WindowsRun = new(() =>
    {
        var guest = new WindowsCorpusGuest();
        foreach (var t in Of("windows"))
        {
            if (!WindowsTechniques.All.TryGetValue(t.Id, out var body)) throw new InvalidDataException($"corpus.yaml: no Windows technique '{t.Id}'");
            var (_, thread) = guest.Start(guest.ExplorerThread, $@"C:\Users\u\Downloads\{t.Id}.exe", $@"""C:\Users\u\Downloads\{t.Id}.exe""");
            body(guest, thread);
        }
        // ALKANET_CORPUS_WINDOWS_LOG=FILE keeps the records (to read them, or to run `alkanet report` on them).
        var keep = Environment.GetEnvironmentVariable("ALKANET_CORPUS_WINDOWS_LOG");
        var log = keep is { Length: > 0 } ? keep : Path.Combine(Path.GetTempPath(), $"alkanet-windows-corpus-{Environment.ProcessId}.jsonl");
        File.WriteAllText(log, guest.ToJsonLines());
        try { return (Analyze(log), log); }
        finally { if (keep is not { Length: > 0 }) File.Delete(log); }
    });

    public static Analyzer Analyze(string log)
    {
        var a = new Analyzer();
        LogInput.Read(log, InputFormat.Auto, a);
        return a;
    }

    /// <summary>The Windows techniques' records as JSON Lines (for the record-shape test).</summary>
    public static Analyzer WindowsAnalyzer => WindowsRun.Value.Analyzer;

    public static TechniqueResult Run(CorpusTechnique t)
    {
        Analyzer a;
        string spec;
        if (t.Os == "windows") (a, spec) = (WindowsRun.Value.Analyzer, t.Id + ".exe");
        else if (t.Benign) (a, spec) = (LinuxBenignRun.Value, "#1"); // init: the whole guest, its boot and the script
        else (a, spec) = (LinuxRun.Value, t.Id);
        var scope = SampleScope.Resolve(a, spec);
        var report = ReportBuilder.Build(a, scope, new ReportOptions(), new ReportInput { Files = [t.Os + "-corpus"] });
        return new TechniqueResult(t, report.Findings);
    }

    public static IReadOnlyList<TechniqueResult> RunAll(string os) => Of(os).Select(Run).ToList();

    /// <summary>Precision and recall over ATT&amp;CK ids: a hit is an expected id found, a miss one not found, a false
    /// alarm an id found that the technique neither expects nor tolerates (benign runs included).</summary>
    public static (int Hits, int Misses, int FalseAlarms, double Precision, double Recall) Score(IEnumerable<TechniqueResult> results)
    {
        var list = results.ToList();
        var hits = list.Sum(r => r.Hits.Count);
        var misses = list.Sum(r => r.Misses.Count);
        var extra = list.Sum(r => r.Extra.Count);
        return (hits, misses, extra, hits + extra == 0 ? 1 : (double)hits / (hits + extra), hits + misses == 0 ? 1 : (double)hits / (hits + misses));
    }
}
