namespace Alkanet.Behaviour.Tests;

/// <summary>Each technique of the corpus gives the findings it must and none it must not; recall per OS.</summary>
public class CorpusTests
{
    public static TheoryData<string> LinuxTechniques => [.. Corpus.Of("linux").Where(t => !t.Benign).Select(t => t.Id)];

    public static TheoryData<string> WindowsTechniques => [.. Corpus.Of("windows").Where(t => !t.Benign).Select(t => t.Id)];

    [Theory]
    [MemberData(nameof(LinuxTechniques))]
    public void Linux_technique_is_found_without_forbidden_findings(string id) => Check(id);

    [Theory]
    [MemberData(nameof(WindowsTechniques))]
    public void Windows_technique_is_found_without_forbidden_findings(string id) => Check(id);

    private static void Check(string id)
    {
        var r = Corpus.Run(Corpus.Get(id));
        r.Misses.ShouldBeEmpty($"{id}: found {string.Join(", ", r.Found.Order())}");
        foreach (var t in r.Technique.Forbidden) r.Found.ShouldNotContain(t, $"{id} must not give {t}");
    }

    [Theory]
    [InlineData("linux")]
    [InlineData("windows")]
    public void Recall_is_at_least_90_percent_per_os(string os)
    {
        var score = Corpus.Score(Corpus.RunAll(os));
        score.Recall.ShouldBeGreaterThanOrEqualTo(0.9, $"{os}: {score.Hits} hits, {score.Misses} misses");
    }

    [Fact]
    public void The_corpus_has_at_least_40_techniques_across_both_oses()
    {
        Corpus.Techniques.Count(t => !t.Benign).ShouldBeGreaterThanOrEqualTo(40);
        Corpus.Of("linux").Count(t => !t.Benign).ShouldBeGreaterThanOrEqualTo(15);
        Corpus.Of("windows").Count(t => !t.Benign).ShouldBeGreaterThanOrEqualTo(15);
    }
}
