using System.IO.Compression;
using Alkanet.Analysis.Importers;
using Alkanet.Analysis.Model;
using Alkanet.Core.Json;

namespace Alkanet.Analysis.Tests;

/// <summary>Imported reports are hostile input: a field of the wrong type is an error naming the file, the JSON path and
/// the value (once it silently became pid 0 or no calls), or with --skip-bad a counted warning; an input with no records
/// says so.</summary>
public sealed class ImporterTypeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alkanet-import-types-").FullName;

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private const string OkProcess =
        """{"process_id": 7, "process_name": "ok.exe", "calls": [{"api": "NtClose", "timestamp": "2024-01-01 00:00:00,000", "thread_id": "1"}]}""";

    private static string Cape(string process) => "{\"info\": {\"id\": 1}, \"behavior\": {\"processes\": [" + process + ", " + OkProcess + "]}}";

    [Theory]
    [InlineData("""{"process_id": "abc", "process_name": "x.exe", "calls": []}""", "$.behavior.processes[0].process_id: expected an integer, got \"abc\"")]
    [InlineData("""{"process_id": 5, "process_name": "x.exe", "calls": "nope"}""", "$.behavior.processes[0].calls: expected an array, got \"nope\"")]
    [InlineData("""{"process_id": 5, "parent_id": -3, "calls": []}""", "$.behavior.processes[0].parent_id: expected a non-negative id, got -3")]
    [InlineData("""{"process_name": "x.exe", "calls": []}""", "$.behavior.processes[0].process_id: missing")]
    [InlineData("""{"process_id": 5, "calls": [{"api": ["NtClose"]}]}""", "$.behavior.processes[0].calls[0].api: expected a string, got [\"NtClose\"]")]
    [InlineData("""{"process_id": 5, "calls": [{"api": "NtClose", "thread_id": "t1"}]}""", "$.behavior.processes[0].calls[0].thread_id: expected an integer")]
    public void A_cape_field_of_the_wrong_type_is_an_error_naming_file_path_and_value(string process, string expected)
    {
        var path = Write("report.json", Cape(process));
        var ex = Should.Throw<LogFormatException>(() => LogInput.Read(path, InputFormat.Cape, new Analyzer()));
        ex.Message.ShouldContain(path);
        ex.Message.ShouldContain(expected);
    }

    [Fact]
    public void With_skip_bad_a_wrong_cape_field_is_a_counted_warning_and_the_rest_is_read()
    {
        var path = Write("report.json", Cape("""{"process_id": "abc", "process_name": "x.exe", "calls": [{"api": "NtClose"}]}"""));
        var a = new Analyzer();
        var result = LogInput.Read(path, InputFormat.Cape, a, skipBad: true);
        result.Skipped.ShouldBe(1);
        result.SkippedErrors.Single().ShouldContain("$.behavior.processes[0].process_id: expected an integer, got \"abc\"");
        result.Records.ShouldBe(1);
        a.Processes.Single().Pid.ShouldBe(7UL, "no process with pid 0 was made up");
    }

    [Theory]
    [InlineData("""{"Plugin":"syscall"}""", "$.PID: missing")]
    [InlineData("""{"Plugin":"syscall","PID":"abc","Method":"NtClose"}""", "$.PID: expected an integer, got \"abc\"")]
    [InlineData("""{"Plugin":"syscall","PID":4}""", "$.Method: missing")]
    [InlineData("""{"Plugin":"syscall","PID":4,"Method":{"n":1}}""", "$.Method: expected a string, got {\"n\":1}")]
    [InlineData("""{"Plugin":"sysret","PID":4,"vCPU":"zero"}""", "$.vCPU: expected an integer, got \"zero\"")]
    [InlineData("""{"Plugin":["syscall"]}""", "$.Plugin: expected a string")]
    public void A_drakvuf_line_with_a_wrong_or_missing_field_is_an_error_naming_file_line_path_and_value(string bad, string expected)
    {
        var good = """{"Plugin":"syscall","TimeStamp":"1.0","PID":4,"PPID":1,"TID":5,"ProcessName":"a.exe","Method":"NtClose","vCPU":0}""";
        var path = Write("drakvuf.jsonl", good + "\n" + bad + "\n" + good + "\n");
        var ex = Should.Throw<LogFormatException>(() => LogInput.Read(path, InputFormat.Drakvuf, new Analyzer()));
        ex.Message.ShouldContain($"{path}:2:");
        ex.Message.ShouldContain(expected);
        var result = LogInput.Read(path, InputFormat.Drakvuf, new Analyzer(), skipBad: true);
        result.Skipped.ShouldBe(1);
        result.Records.ShouldBe(2);
        result.SkippedErrors.Single().ShouldContain(expected);
    }

    [Fact]
    public void An_input_with_no_records_says_so_even_as_a_gzip_of_blank_lines()
    {
        var gz = Path.Combine(_dir, "blank.jsonl.gz");
        using (var f = File.Create(gz))
        using (var z = new GZipStream(f, CompressionLevel.Fastest))
            z.Write(new byte[1 << 20].Select(_ => (byte)'\n').ToArray());
        Should.Throw<LogFormatException>(() => LogInput.Read(gz, InputFormat.Alkanet, new Analyzer())).Message.ShouldContain("no records");
        Should.Throw<LogFormatException>(() => LogInput.Read(Write("empty.jsonl", ""), InputFormat.Auto, new Analyzer())).Message.ShouldContain("no records");
        Should.Throw<LogFormatException>(() => LogInput.Read(Write("d.jsonl", "\n\n"), InputFormat.Drakvuf, new Analyzer())).Message.ShouldContain("no records");
        Should.Throw<LogFormatException>(() => LogInput.Read(Write("c.json", """{"behavior": {"processes": []}}"""), InputFormat.Cape, new Analyzer()))
            .Message.ShouldContain("no records");
        var v = Alkanet.Core.Logs.LogValidator.ValidateFile(gz);
        v.IsValid.ShouldBeFalse();
        v.Problems.Single().Message.ShouldContain("no records");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
