using Alkanet.Analysis.Events;
using Alkanet.Analysis.Model;
using Alkanet.Core.Json;
using Alkanet.Core.Records;
using BenchmarkDotNet.Attributes;

namespace Alkanet.Benchmarks.Report;

/// <summary>The report tool's one pass over a log held in memory (no disk): Core's reader alone, then reader +
/// ENTER/EXIT pairing + analysis. Records/s = <see cref="Records"/> / mean.
/// Run: dotnet run -c Release --project bench/Alkanet.Benchmarks -- --filter '*ReportPass*'</summary>
[MemoryDiagnoser]
public class ReportPassBenchmarks
{
    public const int Records = 200_000;
    private byte[] _log = [];

    [GlobalSetup]
    public void Setup()
    {
        var rnd = new Random(42);
        using var ms = new MemoryStream();
        using (var w = new JsonLinesWriter(ms, leaveOpen: true))
        {
            var r = new SyscallRecord();
            string[] names = ["NtWaitForSingleObject", "NtReadFile", "NtCreateFile", "NtQueryValueKey", "NtClose", "NtAllocateVirtualMemory"];
            for (long no = 1; no <= Records; no += 2)
            {
                var pid = 0x100UL + 4 * (ulong)rnd.Next(40);
                var tid = pid + 4 * (ulong)rnd.Next(1, 9);
                var name = names[rnd.Next(names.Length)];
                for (var side = 0; side < 2; side++)
                {
                    r.Reset();
                    r.No = no + side;
                    r.LogType = side == 0 ? LogType.Enter : LogType.Exit;
                    r.Pid = pid;
                    r.Tid = tid;
                    r.ProcName = $"proc{pid:x}.exe";
                    r.Name = name;
                    r.SysNo = 0x55;
                    r.TimestampNs = 1_700_000_000_000_000_000 + no;
                    if (side == 0)
                    {
                        switch (name)
                        {
                            case "NtCreateFile": r.AdditionalInfo.Set("file_name", $"0\\??\\C:\\Windows\\System32\\f{rnd.Next(300)}.dll").Set("desired_access", "80100080").Set("create_disposition", "1"); break;
                            case "NtQueryValueKey": r.AdditionalInfo.Set("key_handle", "9c").Set("object_name", $"\\REGISTRY\\MACHINE\\SOFTWARE\\Vendor{rnd.Next(50)}").Set("value_name", $"V{rnd.Next(20)}"); break;
                            default: r.AdditionalInfo.Set("handle", $"{rnd.Next(4, 400):x}"); break;
                        }
                    }
                    else if (name == "NtCreateFile") r.AdditionalInfo.Set("out_handle", $"{rnd.Next(4, 400):x}");
                    w.Write(r);
                }
            }
        }
        _log = ms.ToArray();
    }

    [Benchmark(Baseline = true)]
    public long ReadOnly()
    {
        using var reader = new JsonLinesReader(new MemoryStream(_log, writable: false), "bench");
        var r = new SyscallRecord();
        long n = 0;
        while (reader.TryRead(r)) n++;
        return n;
    }

    [Benchmark]
    public long ReadPairAnalyze()
    {
        using var reader = new JsonLinesReader(new MemoryStream(_log, writable: false), "bench");
        var analyzer = new Analyzer();
        var pairer = new RecordPairer(analyzer, Analyzer.WantsArguments);
        var r = new SyscallRecord();
        while (reader.TryRead(r)) pairer.Add(r);
        pairer.Finish();
        return analyzer.Calls;
    }
}
