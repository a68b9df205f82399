using System.IO.Compression;
using System.Text.Json;
using Alkanet.Analysis.Importers;
using Alkanet.Analysis.Model;

namespace Alkanet.Analysis.Tests;

/// <summary>DRAKVUF input as DRAKVUF Sandbox writes it: a real drakmon.log whose lines are grouped by plugin (tests/corpus,
/// from capa's test data), the same split into one file per plugin, and the user-mode plugins.</summary>
public class DrakvufSandboxTests
{
    private static readonly string Drakmon = Directory.GetFiles(TestLogs.Corpus("drakvuf"), "*.log.gz").Single();

    private static List<string> Lines()
    {
        using var r = new StreamReader(new GZipStream(File.OpenRead(Drakmon), CompressionMode.Decompress));
        var lines = new List<string>();
        while (r.ReadLine() is { } l) lines.Add(l);
        return lines;
    }

    /// <summary>Syscall lines per PID in the log: what every process must get.</summary>
    private static Dictionary<ulong, int> SyscallsPerPid() =>
        Lines().Select(l => JsonDocument.Parse(l).RootElement).Where(o => o.GetProperty("Plugin").GetString() == "syscall")
            .GroupBy(o => o.GetProperty("PID").GetUInt64()).ToDictionary(g => g.Key, g => g.Count());

    private static void EveryProcessHasItsCalls(Analyzer a)
    {
        foreach (var (pid, calls) in SyscallsPerPid())
            a.Processes.Where(p => p.Pid == pid).Sum(p => p.Calls).ShouldBeGreaterThanOrEqualTo(calls, $"pid {pid}");
    }

    [Fact]
    public void A_drakmon_log_grouped_by_plugin_gives_every_process_its_calls_and_the_sample_from_inject()
    {
        var a = new Analyzer();
        var read = LogInput.Read(Drakmon, InputFormat.Auto, a);
        read.SuggestedSample.ShouldBe("0x12f4"); // the inject line's InjectedPid 4852
        EveryProcessHasItsCalls(a);
        var scope = SampleScope.Resolve(a, read.SuggestedSample!);
        a.Node(scope.Roots.Single()).Name.ShouldBe("malware.exe");
        a.Node(scope.Roots.Single()).Calls.ShouldBeGreaterThan(0);
    }

    [Fact]
    public void One_file_per_plugin_in_a_folder_or_as_several_inputs_reads_as_the_single_log()
    {
        var dir = Directory.CreateTempSubdirectory("alkanet-drakvuf-");
        try
        {
            // DRAKVUF Sandbox's layout: one file per plugin; named so that name order is not time order.
            foreach (var g in Lines().GroupBy(l => JsonDocument.Parse(l).RootElement.GetProperty("Plugin").GetString()))
                File.WriteAllLines(Path.Combine(dir.FullName, $"{g.Key}.log"), g);
            var single = new Analyzer();
            LogInput.Read(Drakmon, InputFormat.Auto, single);
            var folder = new Analyzer();
            LogInput.Read(dir.FullName, InputFormat.Auto, folder).SuggestedSample.ShouldBe("0x12f4");
            var files = new Analyzer();
            var paths = Directory.GetFiles(dir.FullName).OrderDescending(StringComparer.Ordinal).ToList();
            LogInput.AreDrakvuf(paths, InputFormat.Auto).ShouldBeTrue();
            LogInput.ReadDrakvuf(paths, files);
            EveryProcessHasItsCalls(folder);
            foreach (var other in new[] { folder, files })
                other.Processes.Select(p => (p.Pid, p.Name, p.Calls)).ShouldBe(single.Processes.Select(p => (p.Pid, p.Name, p.Calls)), ignoreOrder: true);
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void Apimon_socketmon_regmon_and_memdump_lines_become_calls()
    {
        var path = Path.Combine(Path.GetTempPath(), $"alkanet-drakvuf-plugins-{Guid.NewGuid():N}.jsonl");
        File.WriteAllLines(path,
        [
            """{"Plugin": "procmon", "TimeStamp": "10.0", "PID": 700, "PPID": 4, "RunningProcess": "\\Device\\x\\victim.exe"}""",
            """{"Plugin": "inject", "TimeStamp": "10.5", "Method": "CreateProc", "ProcessName": "C:\\u\\s.exe", "Arguments": "", "InjectedPid": 600}""",
            """{"Plugin": "apimon", "TimeStamp": "11.0", "Event": "api_called", "PID": 600, "TID": 601, "ProcessName": "s.exe", "Method": "OpenProcess", "ReturnValue": "0x0"}""",
            """{"Plugin": "memdump", "TimeStamp": "12.0", "PID": 600, "TID": 601, "ProcessName": "s.exe", "Method": "NtWriteVirtualMemory", "TargetPID": 700}""",
            """{"Plugin": "regmon", "TimeStamp": "13.0", "PID": 600, "TID": 601, "ProcessName": "s.exe", "Method": "NtSetValueKey", "Key": "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run", "ValueName": "s", "Value": "C:\\u\\s.exe"}""",
            """{"Plugin": "socketmon", "TimeStamp": "14.0", "PID": 600, "TID": 601, "ProcessName": "s.exe", "Method": "TcpCreateAndConnectTcbComplete", "RemoteIp": "203.0.113.9", "RemotePort": 443}""",
            """{"Plugin": "apimon", "Event": "dll_loaded", "PID": 600, "DllName": "\\Windows\\System32\\ntdll.dll"}""",
        ]);
        try
        {
            var r = TestLogs.Report(path, "600");
            r.Processes.Single(p => p.ProcessId == 600).Calls.ShouldBe(4);
            r.Behaviour.ShouldContain(i => i.Kind == "network_connect" && i.Object == "203.0.113.9:443");
            r.Behaviour.ShouldContain(i => i.Kind == "registry_set" && i.Object.EndsWith("\\CurrentVersion\\Run\\s"));
            r.Injections.Single().Steps.Keys.ShouldContain("memory_write_remote");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
