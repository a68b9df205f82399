using static Alkanet.Cli.Tests.CliRunner;

namespace Alkanet.Cli.Tests;

/// <summary>The evidence options from the command line: bad YARA rules stop `report` and `run` (before anything boots) with
/// yara's message naming the file; `report --artifacts DIR` writes the index.</summary>
public sealed class EvidenceCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alkanet-evidence-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string BadRules()
    {
        var bad = Path.Combine(_dir, "bad.yar");
        File.WriteAllText(bad, "rule bad\n{\n  condition: undefined_thing\n}\n");
        return bad;
    }

    private static string Fixture(string name) => Path.Combine(RunLive.Repo, "tests", "Alkanet.Analysis.Tests", "Fixtures", name);

    [Fact]
    public void Report_with_bad_rules_fails_naming_the_rule_file()
    {
        Assert.SkipWhen(!File.Exists("/usr/bin/yara"), "yara is not installed (scripts/setup.d/60-evidence.sh)");
        var (code, _, err) = Run("report", Fixture("linux-persistence.jsonl"), "--sample", "mal", "--yara", BadRules());
        code.ShouldBe(ExitCodes.Failure);
        err.ShouldContain(Path.Combine(_dir, "bad.yar"));
        err.ShouldContain("undefined identifier");
    }

    [Fact]
    public void Run_with_bad_rules_fails_before_the_guest_boots()
    {
        Assert.SkipWhen(!File.Exists("/usr/bin/yara"), "yara is not installed (scripts/setup.d/60-evidence.sh)");
        var outDir = Path.Combine(_dir, "out");
        var (code, _, err) = Run("run", RunLive.Sample("dropper"), "--out", outDir, "--yara", BadRules());
        code.ShouldBe(ExitCodes.Failure);
        err.ShouldContain("undefined identifier");
        Directory.Exists(outDir).ShouldBeFalse("nothing ran");
    }

    [Fact]
    public void Report_artifacts_writes_the_index_even_when_nothing_was_captured()
    {
        var dir = Path.Combine(_dir, "artifacts");
        var (code, _, err) = Run("report", Fixture("linux-persistence.jsonl"), "--sample", "mal", "--artifacts", dir);
        code.ShouldBe(ExitCodes.Ok, err);
        File.ReadAllText(Path.Combine(dir, "artifacts.json")).ShouldContain("\"files\": []");
    }
}
