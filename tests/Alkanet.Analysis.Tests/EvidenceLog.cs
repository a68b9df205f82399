using Alkanet.Analysis.Evidence;
using Alkanet.Analysis.Output;

namespace Alkanet.Analysis.Tests;

/// <summary>A log of ENTER/EXIT pairs written as the tracer writes them, in a temporary folder, read back through the log
/// reader and the report builder (the evidence tests' input). Process 0x41 is "mal", the sample; any other pid is "other".</summary>
internal sealed class EvidenceLog : IDisposable
{
    private readonly List<string> _lines = [];
    private int _no;

    public string Dir { get; } = Directory.CreateTempSubdirectory("alkanet-evidence-").FullName;

    public void Dispose() => Directory.Delete(Dir, recursive: true);

    public void Call(string call, string ret, string info, string pid = "41")
    {
        var name = pid == "41" ? "mal" : "other";
        foreach (var (side, r, i) in new[] { ("ENTER", "0", info), ("EXIT", ret, "{}") })
            _lines.Add($"{{\"no\": {++_no}, \"cpu_id\": 0, \"logtype\": \"{side}\", \"proc_pid\": \"{pid}\", \"proc_tid\": \"{pid}\", " +
                $"\"proc_name\": \"{name}\", \"name\": \"{call}\", \"sys_no\": \"1\", \"type\": \"syscall\", \"ret_val\": \"{r}\", " +
                $"\"additional_info\": {i}, \"timestamp_ns\": {1700000000000000000 + _no}, \"proc_ppid\": \"1\"}}");
    }

    public Report Report(bool all = false, YaraRules? yara = null, DroppedFileLimits? limits = null)
    {
        var log = Path.Combine(Dir, "trace.jsonl");
        File.WriteAllLines(log, _lines);
        var a = TestLogs.Analyze(log, new Model.AnalyzerOptions { CaptureLimits = limits });
        var scope = Model.SampleScope.Resolve(a, "mal");
        return ReportBuilder.Build(a, scope, new ReportOptions { DroppedFilesOfAll = all, Yara = yara }, new ReportInput { Files = [log] });
    }
}
