using Alkanet.Core.Json;
using Alkanet.Core.Records;
using BenchmarkDotNet.Attributes;

namespace Alkanet.Benchmarks.Core;

/// <summary>Reading and writing JSON Lines records like the paper's figure 2, on one core.
/// Per-operation time is per record (OperationsPerInvoke), so records/s = 1e9 / Mean(ns).</summary>
[MemoryDiagnoser]
public class JsonLinesBenchmarks
{
    private const int Records = 200_000;
    private byte[] _file = [];
    private readonly SyscallRecord _record = new();

    [GlobalSetup]
    public void Setup()
    {
        var ms = new MemoryStream();
        using (var w = new JsonLinesWriter(ms, leaveOpen: true))
            for (var i = 0; i < Records; i++) w.Write(Figure2Records.Make(i));
        _file = ms.ToArray();
    }

    [Benchmark(OperationsPerInvoke = Records)]
    public long Read()
    {
        using var reader = new JsonLinesReader(new MemoryStream(_file, writable: false), "bench");
        long sum = 0;
        while (reader.TryRead(_record)) sum += _record.No;
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Records)]
    public long Write()
    {
        using var w = new JsonLinesWriter(Stream.Null, leaveOpen: true);
        for (var i = 0; i < Records; i++) w.Write(Figure2Records.Make(i, _record));
        return w.RecordsWritten;
    }

    [Benchmark(OperationsPerInvoke = Records)]
    public long MakeOnly()
    {
        long sum = 0;
        for (var i = 0; i < Records; i++) sum += Figure2Records.Make(i, _record).No;
        return sum;
    }
}
