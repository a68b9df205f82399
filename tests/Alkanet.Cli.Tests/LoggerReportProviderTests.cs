using System.Text;
using Alkanet.Cli.Commands;
using Alkanet.Logging.Server;
using Alkanet.Logging.Storage;

namespace Alkanet.Cli.Tests;

/// <summary>The report tool as the logger's page uses it (the page and API are tested in Alkanet.Logging.Tests).</summary>
public class LoggerReportProviderTests
{
    private static string Fixture(string name)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Alkanet.slnx"))) dir = dir.Parent;
        return Path.Combine(dir!.FullName, "tests", "Alkanet.Analysis.Tests", "Fixtures", name);
    }

    private static readonly RunInfo Run = new("r1", DateTimeOffset.UnixEpoch, 1, 61, 61, 0, "test", RunState.Complete, null, null, null);

    private static Task<RunReport> Render(Func<Stream> open, string? sample, string? logPath = null) =>
        new LoggerReportProvider().RenderAsync(new RunReportRequest { Run = Run, Sample = sample, OpenRecords = open, LogPath = logPath }, TestContext.Current.CancellationToken);

    [Fact]
    public async Task A_sample_gives_the_report_as_json_and_html()
    {
        var report = await Render(() => File.OpenRead(Fixture("windows-injection.jsonl")), "sample.exe");
        report.Status.ShouldBe(RunReportStatus.Ok, report.Error);
        report.Json.ShouldContain("\"rule\": \"win-process-hollowing\"");
        report.Json.ShouldContain("\"chosen_by\": \"?sample= (the page)\"");
        report.Html.ShouldContain("<svg");
        report.Html.ShouldContain("Process hollowing");
    }

    [Fact]
    public async Task Without_a_sample_or_sidecar_the_candidates_are_listed()
    {
        var report = await Render(() => File.OpenRead(Fixture("windows-injection.jsonl")), null);
        report.Status.ShouldBe(RunReportStatus.NeedsSample);
        report.Json.ShouldBeEmpty();
        report.Candidates.ShouldContain(c => c.Spec == "#3" && c.Name == "sample.exe" && c.Pid == "0x200" && c.CreatedInLog);
        var unknown = await Render(() => File.OpenRead(Fixture("windows-injection.jsonl")), "0x999");
        unknown.Status.ShouldBe(RunReportStatus.NeedsSample);
        unknown.Error.ShouldBe("no process matches sample '0x999'");
    }

    [Fact]
    public async Task The_sidecar_beside_the_run_file_names_the_sample()
    {
        using var dir = new TempDir();
        var log = dir.File("r1.jsonl");
        File.Copy(Fixture("linux-persistence.jsonl"), log);
        File.WriteAllText(log + ".meta.json", """{"sample": "mal"}""");
        var report = await Render(() => File.OpenRead(log), null, log);
        report.Status.ShouldBe(RunReportStatus.Ok, report.Error);
        report.Json.ShouldContain("\"chosen_by\": \"r1.jsonl.meta.json\"");
        report.Json.ShouldContain("linux-cron");
    }

    [Fact]
    public async Task A_damaged_stored_log_is_a_failure_naming_the_line()
    {
        var text = File.ReadLines(Fixture("windows-injection.jsonl")).Take(3).Append("{\"no\": 4, \"logtype\": ").Aggregate(new StringBuilder(), (sb, l) => sb.Append(l).Append('\n')).ToString();
        var report = await Render(() => new MemoryStream(Encoding.UTF8.GetBytes(text)), "sample.exe", "/data/runs/r1.jsonl");
        report.Status.ShouldBe(RunReportStatus.Failed);
        report.Error.ShouldNotBeNull();
        report.Error.ShouldContain("/data/runs/r1.jsonl");
        report.Error.ShouldContain("4");
    }

    [Fact]
    public void Logger_refuses_a_missing_report_rules_directory_before_writing_anything()
    {
        using var dir = new TempDir();
        var data = dir.File("data");
        var result = CliRunner.Run("logger", "--data", data, "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--report-rules", dir.File("nosuch"));
        result.ExitCode.ShouldBe(ExitCodes.Failure);
        result.Err.ShouldContain("rules directory not found");
        Directory.Exists(data).ShouldBeFalse();
    }
}
