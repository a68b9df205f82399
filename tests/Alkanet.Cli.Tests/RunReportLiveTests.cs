namespace Alkanet.Cli.Tests;

/// <summary>The main job end to end (issues 4 and 6): `alkanet run samples/X` boots the analysis guest, traces it,
/// writes the log, the meta sidecar and the report, and the report's findings name what each sample did.</summary>
public sealed class RunReportLiveTests
{
    private sealed record Run(string Dir, CliRunner.Result Cli, System.Text.Json.JsonElement Report)
    {
        public Dictionary<string, string[]> Findings => RunLive.Findings(Report);

        public List<(string Kind, string Object, string Detail, string[] Tags)> Behaviour => RunLive.Behaviour(Report);
    }

    private static Run RunSample(string sample, params string[] more)
    {
        RunLive.Require();
        var dir = Path.Combine(Path.GetTempPath(), $"alkanet-run-{sample}-{Guid.NewGuid():N}");
        try
        {
            var r = CliRunner.Run(["run", RunLive.Sample(sample), "--out", dir, "--timeout", "90s", .. more]);
            r.ExitCode.ShouldBe(0, r.Err);
            // The sample runs under its own file name, so its process is not "run" (names here are within comm's 15 bytes).
            File.ReadAllText(Path.Combine(dir, "trace.jsonl.meta.json")).ShouldContain($"\"sample\": \"{sample}\"");
            foreach (var f in new[] { "report.md", "report.html", "report.json" }) File.Exists(Path.Combine(dir, f)).ShouldBeTrue(f);
            r.Out.ShouldContain("# Alkanet report");
            r.Out.ShouldContain(Path.Combine(dir, "report.html"));
            var report = RunLive.ReadJson(Path.Combine(dir, "report.json"));
            report.GetProperty("sample").GetProperty("chosen_by").GetString().ShouldBe("trace.jsonl.meta.json");
            report.GetProperty("input").GetProperty("lost_records").GetInt64().ShouldBe(0);
            return new Run(dir, r, report);
        }
        finally
        {
            // The assertions read everything they need; nothing is left in /tmp.
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    [Fact]
    public void Dropper_report_shows_the_executable_written_marked_and_run()
    {
        var run = RunSample("dropper");
        run.Findings.ShouldContainKey("dropped-executable");
        run.Findings["dropped-executable"].ShouldContain("T1105");
        var b = run.Behaviour;
        b.ShouldContain(x => x.Kind == "file_create" && x.Object == "/tmp/payload.sh" && x.Tags.Contains("executable"));
        b.ShouldContain(x => x.Kind == "file_write" && x.Object == "/tmp/payload.sh");
        b.ShouldContain(x => x.Kind == "permission_change" && x.Object == "/tmp/payload.sh" && x.Detail == "755");
        b.ShouldContain(x => x.Kind == "process_create" && x.Detail == "/bin/sh /tmp/payload.sh --stage 2", "the dropped script ran (the kernel's #! argv)");
        b.ShouldContain(x => x.Kind == "file_create" && x.Object == "/tmp/payload.out", "what the payload did is the sample's too");
    }

    [Fact]
    public void Int80_report_shows_the_executable_dropped_through_the_32_bit_entry()
    {
        var run = RunSample("int80");
        run.Findings.ShouldContainKey("dropped-executable");
        var b = run.Behaviour;
        b.ShouldContain(x => x.Kind == "file_create" && x.Object == "/tmp/i386-payload.sh" && x.Tags.Contains("executable"));
        b.ShouldContain(x => x.Kind == "file_write" && x.Object == "/tmp/i386-payload.sh");
        b.ShouldContain(x => x.Kind == "permission_change" && x.Object == "/tmp/i386-payload.sh" && x.Detail == "755");
        b.ShouldContain(x => x.Kind == "file_create" && x.Object == "/tmp/i386-marker");
        b.ShouldContain(x => x.Kind == "process_create" && x.Detail.EndsWith("/tmp/i386-payload.sh --stage 2", StringComparison.Ordinal), "the script ran from an i386 execve");
    }

    [Fact]
    public void Persistence_report_finds_cron_and_rc_scripts()
    {
        var run = RunSample("persistence");
        run.Findings["linux-cron"].ShouldContain("T1053.003");
        run.Findings["linux-rc-scripts"].ShouldContain("T1037.004");
        run.Behaviour.ShouldContain(x => x.Kind == "file_write" && x.Object == "/var/spool/cron/crontabs/root" && x.Tags.Contains("autostart"));
    }

    [Fact]
    public void Injector_report_finds_ptrace_and_process_vm_writev_into_its_victim()
    {
        var run = RunSample("injector");
        run.Findings["linux-ptrace-poke"].ShouldContain("T1055.008");
        run.Findings.ShouldContainKey("linux-vm-writev");
        var inj = run.Report.GetProperty("injections").EnumerateArray().Single();
        inj.GetProperty("source").GetString().ShouldStartWith("injector#");
        inj.GetProperty("target").GetString().ShouldStartWith("injector#"); // its forked victim
        inj.GetProperty("source_seq").GetInt32().ShouldNotBe(inj.GetProperty("target_seq").GetInt32());
        var steps = inj.GetProperty("steps");
        steps.GetProperty("ptrace_attach").GetInt32().ShouldBe(1);
        steps.GetProperty("ptrace_poke").GetInt32().ShouldBe(1);
        steps.GetProperty("vm_write_remote").GetInt32().ShouldBe(1);
    }

    [Fact]
    public void Self_deleter_report_finds_the_self_deletion()
    {
        var run = RunSample("selfdelete");
        run.Findings["self-deletion"].ShouldContain("T1070.004");
        run.Behaviour.ShouldContain(x => x.Kind == "file_delete" && x.Object == "/tmp/.hidden");
    }

    [Fact]
    public void Beacon_report_names_its_endpoint()
    {
        var run = RunSample("beacon");
        run.Behaviour.ShouldContain(x => x.Kind == "network_connect" && x.Object == "127.0.0.1:4444");
        run.Findings.Values.SelectMany(v => v).ShouldContain("T1071");
        run.Cli.Out.ShouldContain("127.0.0.1:4444");
    }

    [Fact]
    public void Anti_analysis_report_finds_traceme_the_rename_and_the_long_sleep()
    {
        // The sample sleeps 2 s (runs stay short); --long-sleep lowers the report's 30 s threshold to match.
        var run = RunSample("antianalysis", "--long-sleep", "2s");
        run.Findings["linux-ptrace-traceme"].ShouldContain("T1622");
        run.Findings["linux-process-masquerade"].ShouldContain("T1036.005");
        run.Findings.ShouldContainKey("long-sleep");
        run.Behaviour.ShouldContain(x => x.Kind == "long_sleep");
    }
}
