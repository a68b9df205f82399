using Alkanet.Cli.Commands;

namespace Alkanet.Cli.Tests;

/// <summary>The report step of `alkanet run` on a recorded Linux log (no QEMU): the meta sidecar names the sample,
/// the three report files are written beside the log, and `alkanet report LOG` then needs no --sample.</summary>
public sealed class RunReportTests
{
    private static string Fixture => Path.Combine(RunLive.Repo, "tests", "Alkanet.Analysis.Tests", "Fixtures", "linux-persistence.jsonl");

    [Fact]
    public void The_meta_sidecar_and_the_three_reports_are_written_beside_the_log()
    {
        using var dir = new TempDir();
        var log = dir.File("trace.jsonl");
        File.Copy(Fixture, log);
        var meta = RunReportWriter.WriteMeta(log, "mal");
        meta.ShouldBe(log + ".meta.json");
        RunLive.ReadJson(meta).GetProperty("sample").GetString().ShouldBe("mal");

        var o = RunReportWriter.Write(log);
        o.Markdown.ShouldContain("# Alkanet report");
        File.ReadAllText(dir.File("report.md")).ShouldBe(o.Markdown);
        File.ReadAllText(dir.File("report.html")).ShouldStartWith("<!DOCTYPE html>", Case.Insensitive);
        var json = RunLive.ReadJson(dir.File("report.json"));
        json.GetProperty("sample").GetProperty("chosen_by").GetString().ShouldBe("trace.jsonl.meta.json");
        RunLive.Findings(json)["linux-cron"].ShouldContain("T1053.003");
        Directory.GetFiles(dir.Path, "*.tmp").ShouldBeEmpty("written beside and renamed");

        var again = CliRunner.Run("report", log, "-f", "json");
        again.ExitCode.ShouldBe(0, again.Err);
        again.Out.ShouldContain("\"chosen_by\": \"trace.jsonl.meta.json\"");
    }

    [Fact]
    public void A_sample_missing_from_the_log_is_a_clear_failure_and_no_report_is_left()
    {
        using var dir = new TempDir();
        var log = dir.File("trace.jsonl");
        File.Copy(Fixture, log);
        RunReportWriter.WriteMeta(log, "not-in-this-log");
        var e = Should.Throw<CommandFailedException>(() => RunReportWriter.Write(log));
        e.Message.ShouldContain("not-in-this-log");
        File.Exists(dir.File("report.json")).ShouldBeFalse();
    }

    [Fact]
    public void Long_sleep_threshold_is_a_duration()
    {
        RunCommands.ParseDuration("2s", "--long-sleep").ShouldBe(TimeSpan.FromSeconds(2));
        Should.Throw<UsageException>(() => RunCommands.ParseDuration("long", "--long-sleep")).Message.ShouldContain("--long-sleep 'long'");
    }
}
