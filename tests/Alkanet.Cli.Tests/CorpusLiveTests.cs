using System.Diagnostics;
using Alkanet.Analysis.Importers;
using Alkanet.Analysis.Model;
using Alkanet.Analysis.Output;

namespace Alkanet.Cli.Tests;

/// <summary>Corpus techniques end to end (issue 17): samples/corpus/bundle.sh makes one guest script of several
/// techniques, `alkanet run` traces it in the analysis guest, and the report scoped to each technique's process
/// finds that technique and no masquerading (the old false alarm on every shell applet). The fast tests read
/// recorded traces (tests/Alkanet.Behaviour.Tests); this one checks the recording still holds.</summary>
public sealed class CorpusLiveTests
{
    [Fact]
    public void Techniques_run_in_the_analysis_guest_are_found_in_their_own_process_scope()
    {
        RunLive.Require();
        var dir = Path.Combine(Path.GetTempPath(), $"alkanet-corpus-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var bundle = Path.Combine(dir, "bundle.sh");
            var techniques = new Dictionary<string, string>
            {
                ["lx-sshkey"] = "T1098.004", ["lx-uid0"] = "T1136.001", ["lx-timestomp"] = "T1070.006", ["lx-kthread"] = "T1036.005",
            };
            Bash(Path.Combine(RunLive.Repo, "samples", "corpus", "bundle.sh"), [bundle, .. techniques.Keys]);
            var run = Path.Combine(dir, "run");
            var r = CliRunner.Run(["run", bundle, "--out", run, "--timeout", "120s", "--no-report"]);
            r.ExitCode.ShouldBe(0, r.Err);
            var a = new Analyzer();
            LogInput.Read(Path.Combine(run, "trace.jsonl"), InputFormat.Auto, a);
            a.LostRecords.ShouldBe(0);
            foreach (var (id, technique) in techniques)
            {
                var report = ReportBuilder.Build(a, SampleScope.Resolve(a, id), new ReportOptions(), new ReportInput { Files = [run] });
                var found = report.Findings.Where(f => f.Severity != "info").SelectMany(f => f.Attack.Select(t => t.Id)).ToList();
                found.ShouldContain(technique, $"{id}: {string.Join(", ", found)}");
                if (technique != "T1036.005") found.ShouldNotContain("T1036.005", id);
            }
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    private static void Bash(string script, string[] args)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(script);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        p.ExitCode.ShouldBe(0, err.Result);
    }
}
