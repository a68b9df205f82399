using Alkanet.Core.Json;
using Alkanet.Core.Records;
using Alkanet.Core.Sinks;
using Alkanet.Vmm.Live;
using Alkanet.Ring;
using BenchmarkDotNet.Attributes;

namespace Alkanet.Benchmarks.Live;

/// <summary>The live tracer's ring: the hook's cost to write one record (encode + reserve + publish), and the
/// host's drain rate (decode + number + sink) with a discarding sink and with the JSON Lines writer.
/// Run: dotnet run -c Release --project bench/Alkanet.Benchmarks -- --filter '*RingBenchmarks*'</summary>
[MemoryDiagnoser]
public class RingBenchmarks
{
    public const int Batch = 16384;
    private string _path = "";
    private TraceRing _ring = null!;
    private RingDrain _nullDrain = null!;
    private RingDrain _jsonDrain = null!;
    private readonly SyscallRecord _record = new();

    private sealed class NullSink : IRecordSink
    {
        public long Count;
        public void Write(SyscallRecord record) => Count++;
        public void Flush() { }
        public void Dispose() { }
    }

    private sealed class JsonToNull : IRecordSink
    {
        private readonly JsonLinesWriter _w = new(Stream.Null);
        public void Write(SyscallRecord record) => _w.Write(record);
        public void Flush() => _w.Flush();
        public void Dispose() => _w.Dispose();
    }

    [GlobalSetup]
    public void Setup()
    {
        _path = Path.Combine(Path.GetTempPath(), $"alkanet-bench-{Environment.ProcessId}.ring");
        _ring = TraceRing.Create(_path, slotCount: Batch);
        _nullDrain = new RingDrain(_ring, new NullSink());
        _jsonDrain = new RingDrain(_ring, new JsonToNull());
        // a typical record: write(fd=3 -> /tmp/payload.sh) ENTER from the dropper
        _record.CpuId = 1; _record.Pid = 0x5f; _record.Tid = 0x5f; _record.ProcName = "run"; _record.Name = "write"; _record.SysNo = 1;
        _record.ParentPid = 1; _record.TimestampNs = 1795311963149498700; _record.Args = [3, 0x47b048, 0x2e, 0x1a4, 0x2f938680, 0x2f9386a0];
        _record.AdditionalInfo.Set("fd", "3").Set("fd_path", "/tmp/payload.sh").Set("size", "2e");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ring.Dispose();
        File.Delete(_path);
    }

    private void Fill()
    {
        for (var i = 0; i < Batch; i++) _ring.TryWrite(_record);
    }

    /// <summary>Producer side only: one hook record encoded, reserved and published (the ring is emptied outside the timing).</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public void HookWritesRecord() => Fill();

    [IterationCleanup(Target = nameof(HookWritesRecord))]
    public void EmptyRing() => _nullDrain.DrainAvailable();

    [IterationSetup(Targets = [nameof(HostDrainsRecord), nameof(HostDrainsRecordToJson)])]
    public void FillRing() => Fill();

    /// <summary>Host side only: records drained (decoded, numbered) into a sink that keeps nothing.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public long HostDrainsRecord() => _nullDrain.DrainAvailable();

    /// <summary>Host side with the JSON Lines writer (to Stream.Null): what `alkanet run` does per record.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public long HostDrainsRecordToJson() => _jsonDrain.DrainAvailable();
}
