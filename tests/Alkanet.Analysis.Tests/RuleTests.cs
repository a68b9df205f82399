using Alkanet.Analysis.Model;
using Alkanet.Analysis.Output;
using Alkanet.Analysis.Rules;

namespace Alkanet.Analysis.Tests;

public class RuleTests
{
    [Fact]
    public void Shipped_rules_load_and_every_technique_has_a_name()
    {
        var set = RuleSet.LoadDefault();
        set.Rules.Count.ShouldBeGreaterThan(25);
        foreach (var id in set.Rules.SelectMany(r => r.Attack))
            AttackCatalog.Default.TryGet(id, out _, out _).ShouldBeTrue(id);
        AttackCatalog.Default.FullName("T1055.008").ShouldBe("Process Injection: Ptrace System Calls");
    }

    [Fact]
    public void User_rules_extend_and_replace_by_id()
    {
        var dir = Directory.CreateTempSubdirectory().FullName;
        File.WriteAllText(Path.Combine(dir, "mine.yaml"), """
            - id: mutex
              title: Our mutex rule
              severity: critical
              attack: [T1480]
              match:
                kind: [mutex_create]
                object: 'evil'
            - id: notes
              title: Notes touched
              severity: low
              match:
                kind: [file_create]
                object: 'stolen\.txt$'
            """);
        var set = RuleSet.LoadDefault(dir);
        var a = TestLogs.Analyze(TestLogs.Fixture("windows-injection.jsonl"));
        var r = ReportBuilder.Build(a, SampleScope.Resolve(a, "sample.exe"), new ReportOptions { Rules = set }, new ReportInput());
        r.Findings.Single(f => f.Rule == "mutex").Severity.ShouldBe("critical");
        r.Findings.Single(f => f.Rule == "notes").Records.ShouldBe([31, 32]);
    }

    [Theory]
    [InlineData("- id: x\n  title: t\n  severity: urgent\n  match: {kind: [file_write]}", "severity")]
    [InlineData("- id: x\n  title: t\n  match: {kind: [file_write], object: '('}", "regex")]
    [InlineData("- id: x\n  title: t", "exactly one")]
    [InlineData("- id: x\n  title: [unclosed", "line")]
    public void Bad_rules_name_the_file_and_the_problem(string yaml, string expected)
    {
        var ex = Should.Throw<RuleFormatException>(() => new RuleSet().AddYaml(yaml, "bad.yaml"));
        ex.Message.ShouldContain("bad.yaml");
        ex.Message.ShouldContain(expected);
    }

    [Fact]
    public void Sequence_steps_match_in_order_and_optional_steps_may_be_absent_or_late()
    {
        SpreadEdge E(string kind, params long[] nos)
        {
            var e = new SpreadEdge { Kind = kind, SourceSeq = 1, TargetSeq = 2 };
            e.Records.AddRange(nos);
            return e;
        }
        var edges = new[] { E("process_open", 50), E("memory_write_remote", 10, 30), E("thread_create_remote", 20, 40) };
        ReportBuilder.MatchSequence(["process_open?", "memory_write_remote", "thread_create_remote"], edges)!
            .Select(x => x.No).ShouldBe([10L, 20L]);
        ReportBuilder.MatchSequence(["thread_create_remote", "memory_write_remote"], edges)!.Select(x => x.No).ShouldBe([20L, 30L]);
        ReportBuilder.MatchSequence(["process_open", "memory_write_remote"], edges).ShouldBeNull();
    }
}
