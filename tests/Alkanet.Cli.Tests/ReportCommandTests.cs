using Alkanet.Cli;
using static Alkanet.Cli.Tests.CliRunner;

namespace Alkanet.Cli.Tests;

public class ReportCommandTests
{
    /// <summary>The Analysis tests' fixtures, found from the repository root (the CLI tests share them rather than copy them).</summary>
    private static string Fixture(string name)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Alkanet.slnx"))) dir = dir.Parent;
        return Path.Combine(dir!.FullName, "tests", "Alkanet.Analysis.Tests", "Fixtures", name);
    }

    [Fact]
    public void Report_prints_markdown_with_findings_and_the_tree()
    {
        var (code, output, _) = Run("report", Fixture("windows-injection.jsonl"), "--sample", "sample.exe");
        code.ShouldBe(ExitCodes.Ok);
        output.ShouldContain("# Alkanet report: sample.exe#3");
        output.ShouldContain("Process hollowing");
        output.ShouldContain("T1547.001");
    }

    [Fact]
    public void Without_a_sample_the_error_lists_candidates_and_exits_2()
    {
        var (code, _, err) = Run("report", Fixture("windows-injection.jsonl"));
        code.ShouldBe(ExitCodes.Usage);
        err.ShouldContain("--sample");
        err.ShouldContain("sample.exe");
    }

    [Fact]
    public void A_sidecar_names_the_sample_when_no_option_is_given()
    {
        var dir = Directory.CreateTempSubdirectory().FullName;
        var log = Path.Combine(dir, "run.jsonl");
        File.Copy(Fixture("linux-persistence.jsonl"), log);
        File.WriteAllText(log + ".meta.json", """{"sample": "mal"}""");
        var (code, output, _) = Run("report", log, "-f", "json");
        code.ShouldBe(ExitCodes.Ok);
        output.ShouldContain("\"chosen_by\": \"run.jsonl.meta.json\"");
        output.ShouldContain("linux-cron");
    }

    [Theory]
    [InlineData("json", "\"schema\": \"alkanet-report/1\"")]
    [InlineData("html", "<svg")]
    [InlineData("vt", "\"processes_injected\"")]
    [InlineData("stix", "\"type\": \"malware-analysis\"")]
    [InlineData("misp", "\"template_uuid\"")]
    public void Formats_are_written_to_the_output_file(string format, string expected)
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory().FullName, "out." + format);
        var (code, _, _) = Run("report", Fixture("windows-injection.jsonl"), "-s", "0x200", "-f", format, "-o", file);
        code.ShouldBe(ExitCodes.Ok);
        File.ReadAllText(file).ShouldContain(expected);
    }

    [Fact]
    public void Malformed_inputs_fail_with_exit_1_and_a_message_naming_the_file()
    {
        var (code, _, err) = Run("report", Fixture("truncated.jsonl.gz"), "-s", "sample.exe");
        code.ShouldBe(ExitCodes.Failure);
        err.ShouldContain("truncated.jsonl.gz");
        (code, _, err) = Run("report", Fixture("cape-no-behavior.json"));
        code.ShouldBe(ExitCodes.Failure);
        err.ShouldContain("behavior.processes");
        (code, _, err) = Run("report", Fixture("drakvuf-sample.jsonl"), "-s", "drop.exe");
        code.ShouldBe(ExitCodes.Failure);
        err.ShouldContain("drakvuf-sample.jsonl:1:");
        (code, _, _) = Run("report", Fixture("drakvuf-sample.jsonl"), "-s", "drop.exe", "--skip-bad");
        code.ShouldBe(ExitCodes.Ok);
    }

    [Fact]
    public void A_cape_report_needs_no_sample_option()
    {
        var cape = Directory.GetFiles(Fixture("cape"), "d469*.json.gz").Single();
        var (code, output, _) = Run("report", cape);
        code.ShouldBe(ExitCodes.Ok);
        output.ShouldContain("Hello_Amber.exe");
    }

    [Fact]
    public void Compare_prints_precision_and_recall_against_a_cape_summary()
    {
        var cape = Directory.GetFiles(Fixture("cape"), "55dc*.json.gz").Single();
        var vt = Path.Combine(Directory.CreateTempSubdirectory().FullName, "vt.json");
        Run("report", cape, "-f", "vt", "-o", vt).ExitCode.ShouldBe(ExitCodes.Ok);
        var (code, output, _) = Run("compare", vt, cape);
        code.ShouldBe(ExitCodes.Ok);
        output.ShouldContain("registry_keys_opened");
        output.ShouldContain("precision");
        var (jcode, json, _) = Run("compare", vt, cape, "--json");
        jcode.ShouldBe(ExitCodes.Ok);
        json.ShouldContain("\"matched\"");
    }

    [Fact]
    public void Bad_user_rules_fail_with_the_rule_file_named()
    {
        var dir = Directory.CreateTempSubdirectory().FullName;
        File.WriteAllText(Path.Combine(dir, "x.yaml"), "- id: a\n  title: b\n  severity: nope\n  match: {kind: [file_write]}\n");
        var (code, _, err) = Run("report", Fixture("windows-injection.jsonl"), "-s", "sample.exe", "--rules", dir);
        code.ShouldBe(ExitCodes.Failure);
        err.ShouldContain("x.yaml");
    }

    [Fact]
    public void A_run_folders_network_json_is_the_network_section_and_a_bad_one_named_with_the_option_exits_1()
    {
        var run = Fixture(Path.Combine("netprobe-run", "trace.jsonl.gz"));
        var (code, output, _) = Run("report", run);
        code.ShouldBe(ExitCodes.Ok);
        output.ShouldContain("## Network");
        output.ShouldContain("Suricata 9100002");
        var bad = Path.Combine(Directory.CreateTempSubdirectory().FullName, "network.json");
        File.WriteAllText(bad, """{"alerts": [{"sid": "9100002"}]}""");
        var (badCode, _, err) = Run("report", run, "--network", bad);
        badCode.ShouldBe(ExitCodes.Failure);
        err.ShouldContain($"{bad}: $.alerts[0].sid: expected an integer");
        Run("report", run, "--network", bad + ".missing").ExitCode.ShouldBe(ExitCodes.Failure);
    }

    [Fact]
    public void Compare_counts_network_iocs_against_a_virustotal_summary()
    {
        var dir = Directory.CreateTempSubdirectory().FullName;
        var mine = Path.Combine(dir, "mine.json");
        Run("report", Fixture(Path.Combine("netprobe-run", "trace.jsonl.gz")), "-f", "json", "-o", mine).ExitCode.ShouldBe(ExitCodes.Ok);
        var vt = Path.Combine(dir, "vt.json");
        File.WriteAllText(vt, """{"data": {"dns_lookups": [{"hostname": "c2.alkanet-sample.test"}, {"hostname": "other.test"}]}}""");
        var (code, output, _) = Run("compare", mine, vt);
        code.ShouldBe(ExitCodes.Ok);
        output.ShouldMatch(@"contacted_domains\s+1\s+1\s+0\s+100 ?%\s+50 ?%");
    }
}
