using System.Text.Json;
using Alkanet.Core.Json;
using Alkanet.Core.Records;

namespace Alkanet.Cli.Tests;

public class LogCommandTests
{
    private static readonly string Figure = Path.Combine(AppContext.BaseDirectory, "Data", "figure2.json");

    private static SyscallRecord Rec(long no, LogType type, ulong pid = 0x10, ulong tid = 1, string call = "NtCreateFile", ulong sysNo = 0x55, string proc = "evil.exe")
        => new() { No = no, LogType = type, Pid = pid, Tid = tid, ProcName = proc, Name = call, SysNo = sysNo };

    private static string WriteLog(TempDir dir, string name, params SyscallRecord[] records)
    {
        var path = dir.File(name);
        using var w = JsonLinesWriter.Create(path);
        foreach (var r in records) w.Write(r);
        return path;
    }

    private static string WriteLines(TempDir dir, string name, params string[] lines)
    {
        var path = dir.File(name);
        File.WriteAllText(path, string.Join('\n', lines) + "\n");
        return path;
    }

    [Fact]
    public void Help_lists_the_log_commands_and_exit_codes()
    {
        var r = CliRunner.Run("--help");
        r.ExitCode.ShouldBe(0);
        r.Out.ShouldContain("log");
        r.Out.ShouldContain("Exit codes");
        CliRunner.Run("log", "--help").Out.ShouldContain("validate");
    }

    [Fact]
    public void Version_prints_the_version()
    {
        var r = CliRunner.Run("--version");
        r.ExitCode.ShouldBe(0);
        r.Out.ShouldStartWith("0.");
    }

    [Theory]
    [InlineData("nosuchcommand")]
    [InlineData("log", "cat")]
    [InlineData("log", "stats", "--top", "x", "f")]
    public void Usage_errors_exit_with_2(params string[] args)
    {
        var r = CliRunner.Run(args);
        r.ExitCode.ShouldBe(2);
        r.Err.ShouldContain("alkanet:");
    }

    [Fact]
    public void A_bad_hex_pid_filter_is_a_usage_error()
    {
        CliRunner.Run("log", "cat", "--pid", "zz", Figure).ExitCode.ShouldBe(2);
    }

    [Fact]
    public void Cat_prints_the_figure_record_readably_and_as_json()
    {
        var text = CliRunner.Run("log", "cat", Figure);
        text.ExitCode.ShouldBe(0);
        text.Out.ShouldContain("NtCreateFile(55)");
        text.Out.ShouldContain(@"file_name=0\\??\C:\Windows");

        var json = CliRunner.Run("log", "cat", "--json", Figure);
        RecordJson.Parse(json.Out).Name.ShouldBe("NtCreateFile");
    }

    [Fact]
    public void Cat_filters_by_pid_process_call_and_logtype()
    {
        using var dir = new TempDir();
        var log = WriteLog(dir, "a.jsonl",
            Rec(1, LogType.Enter), Rec(2, LogType.Exit),
            Rec(3, LogType.Enter, pid: 0x20, proc: "svchost.exe", call: "NtClose", sysNo: 0xf),
            Rec(4, LogType.Exit, pid: 0x20, proc: "svchost.exe", call: "NtClose", sysNo: 0xf));

        Numbers(CliRunner.Run("log", "cat", "--json", "--pid", "20", log)).ShouldBe([3, 4]);
        Numbers(CliRunner.Run("log", "cat", "--json", "-p", "EVIL.EXE", log)).ShouldBe([1, 2]);
        Numbers(CliRunner.Run("log", "cat", "--json", "--call", "ntclose", "--logtype", "EXIT", log)).ShouldBe([4]);
        Numbers(CliRunner.Run("log", "cat", "--json", "--pid", "10,20", "-n", "3", log)).ShouldBe([1, 2, 3]);
    }

    [Fact]
    public void Cat_to_a_gz_file_writes_a_complete_compressed_log()
    {
        using var dir = new TempDir();
        var log = WriteLog(dir, "a.jsonl", Rec(1, LogType.Enter), Rec(2, LogType.Exit));
        var outPath = dir.File("out.jsonl.gz");
        CliRunner.Run("log", "cat", log, "-o", outPath).ExitCode.ShouldBe(0);
        JsonLinesReader.ReadFile(outPath).Select(r => r.No).ShouldBe([1L, 2L]);
        File.Exists(outPath + ".partial").ShouldBeFalse();
    }

    [Fact]
    public void Cat_on_a_malformed_log_fails_naming_the_line_and_leaves_no_output_file()
    {
        using var dir = new TempDir();
        var good = RecordJson.Serialize(Rec(1, LogType.Enter));
        var log = WriteLines(dir, "bad.jsonl", good, "{\"no\": 2, oops", good.Replace("\"no\":1", "\"no\":3", StringComparison.Ordinal));
        var outPath = dir.File("out.jsonl");

        var r = CliRunner.Run("log", "cat", log, "-o", outPath);
        r.ExitCode.ShouldBe(1);
        r.Err.ShouldContain("bad.jsonl:2: byte offset");
        File.Exists(outPath).ShouldBeFalse();
        File.Exists(outPath + ".partial").ShouldBeFalse();

        var skipped = CliRunner.Run("log", "cat", "--skip-bad", "--json", log);
        skipped.ExitCode.ShouldBe(0);
        Numbers(skipped).ShouldBe([1, 3]);
        skipped.Err.ShouldContain("skipped 1 malformed");
    }

    [Fact]
    public void Stats_counts_by_call_and_process_as_json()
    {
        using var dir = new TempDir();
        var log = WriteLog(dir, "a.jsonl",
            Rec(1, LogType.Enter), Rec(2, LogType.Exit), Rec(3, LogType.Enter, tid: 2, call: "NtClose", sysNo: 0xf));
        var r = CliRunner.Run("log", "stats", "--json", log);
        r.ExitCode.ShouldBe(0);
        using var doc = JsonDocument.Parse(r.Out);
        doc.RootElement.GetProperty("records").GetInt64().ShouldBe(3);
        var calls = doc.RootElement.GetProperty("calls").EnumerateArray().ToList();
        calls[0].GetProperty("name").GetString().ShouldBe("NtCreateFile");
        calls[0].GetProperty("enters").GetInt64().ShouldBe(1);
        var proc = doc.RootElement.GetProperty("processes").EnumerateArray().Single();
        proc.GetProperty("pid").GetString().ShouldBe("10");
        proc.GetProperty("threads").GetInt32().ShouldBe(2);

        var table = CliRunner.Run("log", "stats", log);
        table.Out.ShouldContain("NtCreateFile");
        table.Out.ShouldContain("evil.exe");
    }

    [Fact]
    public void Validate_accepts_a_clean_log()
    {
        using var dir = new TempDir();
        var log = WriteLog(dir, "ok.jsonl", Rec(1, LogType.Enter), Rec(2, LogType.Exit));
        var r = CliRunner.Run("log", "validate", log);
        r.ExitCode.ShouldBe(0);
        r.Out.ShouldContain("valid");
    }

    [Fact]
    public void Validate_finds_a_gap_a_duplicate_an_exit_without_enter_and_a_malformed_line()
    {
        using var dir = new TempDir();
        string J(SyscallRecord r) => RecordJson.Serialize(r);
        var log = WriteLines(dir, "bad.jsonl",
            J(Rec(1, LogType.Enter)),
            J(Rec(2, LogType.Exit)),
            J(Rec(5, LogType.Enter)),                 // gap: 3..4
            J(Rec(5, LogType.Enter, tid: 7)),         // duplicate 5
            J(Rec(6, LogType.Exit, tid: 9)),          // EXIT without ENTER
            "{\"no\":7,\"cpu_id\":0,\"logtype\":\"ENTER\",",  // malformed (truncated line)
            J(Rec(8, LogType.Exit)));

        var r = CliRunner.Run("log", "validate", "--json", log);
        r.ExitCode.ShouldBe(1);
        using var doc = JsonDocument.Parse(r.Out);
        var file = doc.RootElement.EnumerateArray().Single();
        file.GetProperty("valid").GetBoolean().ShouldBeFalse();
        var problems = file.GetProperty("problems").EnumerateArray()
            .Select(p => (Kind: p.GetProperty("kind").GetString(), Line: p.GetProperty("line").GetInt64())).ToList();
        problems.ShouldContain(("Gap", 3));
        problems.ShouldContain(("Duplicate", 4));
        problems.ShouldContain(("ExitWithoutEnter", 5));
        problems.ShouldContain(("Malformed", 6));

        var human = CliRunner.Run("log", "validate", log);
        human.ExitCode.ShouldBe(1);
        human.Out.ShouldContain("bad.jsonl:3:");
        human.Out.ShouldContain("INVALID");
    }

    [Fact]
    public void A_missing_file_fails_with_exit_1_and_names_it()
    {
        var r = CliRunner.Run("log", "stats", "/nonexistent/x.jsonl");
        r.ExitCode.ShouldBe(1);
        r.Err.ShouldContain("/nonexistent/x.jsonl");
    }

    private static long[] Numbers(CliRunner.Result r)
    {
        r.ExitCode.ShouldBe(0, r.Err);
        return r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => RecordJson.Parse(l).No).ToArray();
    }
}
