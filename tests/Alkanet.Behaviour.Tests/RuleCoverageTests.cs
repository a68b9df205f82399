using Alkanet.Analysis.Rules;

namespace Alkanet.Behaviour.Tests;

/// <summary>Every shipped rule fires somewhere (the corpus, or the named test that covers it), stays quiet on the
/// benign runs (save the listed low/info ones, for the reason given), and names real ATT&amp;CK ids.</summary>
public class RuleCoverageTests
{
    /// <summary>Rules the corpus does not exercise, and the test that fires each.</summary>
    private static readonly Dictionary<string, string> FiredElsewhere = new(StringComparer.Ordinal)
    {
        ["win-inject-section-map"] = "Alkanet.Analysis.Tests MoreInjectionTests",
        ["win-inject-apc"] = "Alkanet.Analysis.Tests MoreInjectionTests",
        ["win-process-hollowing"] = "Alkanet.Analysis.Tests MoreInjectionTests",
        ["win-thread-hijack"] = "Alkanet.Analysis.Tests MoreInjectionTests",
        ["win-remote-write"] = "Alkanet.Analysis.Tests MoreInjectionTests",
        ["linux-ptrace-injection"] = "Alkanet.Analysis.Tests LinuxFixtureTests",
        ["linux-ptrace-regs"] = "Alkanet.Analysis.Tests MoreInjectionTests",
        ["linux-ptrace-poke"] = "Alkanet.Analysis.Tests MoreInjectionTests",
        ["linux-proc-mem"] = "Alkanet.Analysis.Tests MoreInjectionTests",
        ["linux-vm-writev"] = "Alkanet.Analysis.Tests MoreInjectionTests",
        ["long-sleep"] = "Alkanet.Analysis.Tests WindowsFixtureTests",
        ["mutex"] = "Alkanet.Analysis.Tests WindowsFixtureTests",
        ["network-connect"] = "Alkanet.Cli.Tests RunReportLiveTests (beacon)",
    };

    /// <summary>Low or info rules a benign run may fire, and why that is right.</summary>
    private static readonly Dictionary<string, string> AllowedOnBenign = new(StringComparer.Ordinal)
    {
        ["executable-written"] = "the administration script installs a helper script (low: an executable outside temporary places)",
        ["system-probe"] = "programs read /proc/cpuinfo (info)",
        ["linux-network-discovery"] = "the guest's init runs `ip link set lo up`, and a busybox applet shows only its name (low)",
    };

    private static readonly Lazy<Dictionary<string, HashSet<string>>> FiredBy = new(() =>
    {
        var fired = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var os in new[] { "linux", "windows" })
        {
            foreach (var r in Corpus.RunAll(os))
            {
                foreach (var f in r.Findings)
                {
                    if (!fired.TryGetValue(f.Rule, out var by)) fired[f.Rule] = by = new HashSet<string>(StringComparer.Ordinal);
                    by.Add(r.Technique.Id);
                }
            }
        }
        return fired;
    });

    public static TheoryData<string> Rules => [.. RuleSet.LoadDefault().Rules.Select(r => r.Id)];

    [Theory]
    [MemberData(nameof(Rules))]
    public void Rule_fires_on_a_technique_and_not_on_the_benign_runs(string rule)
    {
        var by = FiredBy.Value.GetValueOrDefault(rule) ?? [];
        if (!FiredElsewhere.ContainsKey(rule)) by.Where(id => !Corpus.Get(id).Benign).ShouldNotBeEmpty($"{rule} fires on no corpus technique");
        else by.ShouldBeEmpty($"{rule} fires in the corpus now: drop it from {nameof(FiredElsewhere)}");
        if (!AllowedOnBenign.ContainsKey(rule)) by.ShouldNotContain(id => Corpus.Get(id).Benign, $"{rule} fired on a benign run");
    }

    [Fact]
    public void Every_attack_id_of_the_rules_and_the_corpus_is_in_MITREs_bundle()
    {
        var catalog = AttackCatalog.Default;
        var ids = RuleSet.LoadDefault().Rules.SelectMany(r => r.Attack.Select(a => (Where: "rule " + r.Id, Id: a)))
            .Concat(Corpus.Techniques.SelectMany(t =>
                t.Attack.Concat(t.Tolerate.Keys).Concat(t.Forbid).Select(a => (Where: "corpus " + t.Id, Id: a))));
        ids.Where(x => !catalog.TryGet(x.Id, out _, out _)).Select(x => $"{x.Where}: {x.Id}").ShouldBeEmpty();
    }
}
