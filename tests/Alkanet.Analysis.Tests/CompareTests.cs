using Alkanet.Analysis.Compare;
using Alkanet.Analysis.Model;
using Alkanet.Analysis.Output;

namespace Alkanet.Analysis.Tests;

public class CompareTests
{
    [Theory]
    [InlineData("\\??\\C:\\Users\\bob\\AppData\\Local\\Temp\\x.exe", "%TEMP%\\x.exe")]
    [InlineData("C:\\Users\\bob\\AppData\\Roaming\\a.dll", "%APPDATA%\\a.dll")]
    [InlineData("\\Device\\HarddiskVolume2\\Windows\\System32\\cmd.exe", "C:\\WINDOWS\\system32\\cmd.exe")]
    [InlineData("\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\x", "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\x")]
    [InlineData("HKU\\S-1-5-21-11-22-33-1001\\Software\\Run", "HKEY_CURRENT_USER\\Software\\Run")]
    [InlineData("\\SystemRoot\\System32\\ntdll.dll", "%windir%\\System32\\ntdll.dll")]
    public void Paths_from_different_tools_normalise_to_the_same_form(string a, string b) =>
        PathNormalizer.Normalize(a).ShouldBe(PathNormalizer.Normalize(b));

    [Fact]
    public void Linux_paths_keep_their_case_folding_only() =>
        PathNormalizer.Normalize("/etc/Cron.d/x").ShouldBe("/etc/cron.d/x");

    [Fact]
    public void Virustotal_summary_is_compared_per_category_with_precision_and_recall()
    {
        var dir = Directory.CreateTempSubdirectory();
        var vt = Path.Combine(dir.FullName, "vt.json");
        File.WriteAllText(vt, """
            {"data": {"files_written": ["%APPDATA%\\evil.exe", "C:\\other.txt"],
                      "registry_keys_set": [{"key": "HKEY_USERS\\S-1-5-21-1-2-3-1001\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\evil", "value": "x"}],
                      "mutexes_created": ["\\BaseNamedObjects\\evilmutex"],
                      "processes_injected": ["C:\\Windows\\System32\\notepad.exe"]}}
            """);
        var r = TestLogs.Report(TestLogs.Fixture("windows-injection.jsonl"), "sample.exe");
        var mine = BehaviourSummary.FromReport(r);
        var c = Comparison.Of(mine, BehaviourSummary.Load(vt));
        var written = c.Categories.Single(x => x.Category == "files_written");
        written.Matched.ShouldBe(["%APPDATA%\\evil.exe"]);
        written.Missed.ShouldBe(["C:\\other.txt"]);
        written.Recall.ShouldBe(0.5);
        c.Categories.Single(x => x.Category == "registry_keys_set").Matched.Count.ShouldBe(1);
        c.Categories.Single(x => x.Category == "mutexes_created").Precision.ShouldBe(1.0);
        c.ToText().ShouldContain("files_written");
    }

    [Fact]
    public void Vt_shape_round_trips_through_compare()
    {
        var r = TestLogs.Report(TestLogs.Fixture("windows-injection.jsonl"), "sample.exe");
        var file = Path.Combine(Directory.CreateTempSubdirectory().FullName, "mine.json");
        File.WriteAllText(file, BehaviourSummary.FromReport(r).ToVirusTotalJson());
        var loaded = BehaviourSummary.Load(file);
        var c = Comparison.Of(BehaviourSummary.FromReport(r), loaded);
        c.Categories.ShouldAllBe(x => x.Missed.Count == 0 && x.Extra.Count == 0);
        loaded.Categories["processes_injected"].ShouldContain("notepad.exe");
        loaded.Categories["command_executions"].ShouldContain("svchost.exe -k netsvcs");
    }

    [Fact]
    public void Json_report_round_trips()
    {
        var r = TestLogs.Report(TestLogs.Fixture("windows-injection.jsonl"), "sample.exe");
        var back = ReportWriters.FromJson(ReportWriters.ToJson(r));
        back.Findings.Count.ShouldBe(r.Findings.Count);
        back.Processes.Single(p => p.Name == "sample.exe").CommandLine.ShouldBe("\"C:\\Users\\u\\Desktop\\sample.exe\" /run");
        ReportWriters.ToJson(r).ShouldContain("\"schema\": \"alkanet-report/1\"");
    }
}
