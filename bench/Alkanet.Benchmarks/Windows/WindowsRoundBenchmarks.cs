using Alkanet.Core.Records;
using Alkanet.Introspection.Cpu;
using Alkanet.Introspection.Hooks;
using Alkanet.Introspection.Memory;
using Alkanet.Introspection.Symbols;
using Alkanet.Introspection.TestKit.Boot;
using Alkanet.Introspection.Windows;
using Alkanet.Ring;
using Alkanet.Vmm.Live;
using BenchmarkDotNet.Attributes;

namespace Alkanet.Benchmarks.Windows;

/// <summary>The bootable synthetic Windows guest's 25-call round (bench/live-windows-synthetic.sh's workload) decoded the
/// way the live plugin does it: guest RAM in a shared file mapped read-only (<see cref="SharedRamFilePhysicalMemory"/>),
/// the hit's page walk over it (<see cref="RamFirstVirtualMemory"/>, translations dropped at every hit), ENTER and EXIT
/// of every call, then (second benchmark) each record written into a ring. Per call of the round (OperationsPerInvoke).
/// Run: dotnet run -c Release --project bench/Alkanet.Benchmarks -- --filter '*WindowsRound*';
/// reads per call: dotnet run -c Release --project bench/Alkanet.Benchmarks -- windows-round-reads</summary>
[MemoryDiagnoser]
public class WindowsRoundBenchmarks
{
    private Round _round = null!;

    [GlobalSetup]
    public void Setup()
    {
        _round = new Round();
        for (var i = 0; i < 200; i++) _round.Run(write: true);
    }

    [GlobalCleanup]
    public void Cleanup() => _round.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Round.CallsPerRound)]
    public void Decode() => _round.Run(write: false);

    [Benchmark(OperationsPerInvoke = Round.CallsPerRound)]
    public void DecodeAndWrite() => _round.Run(write: true);

    /// <summary>Prints the guest reads of one warm round per call: reads the decoder asks for, page walks, fallback reads.</summary>
    public static int PrintReads()
    {
        using var round = new Round(countPhysical: true);
        for (var i = 0; i < 50; i++) round.Run(write: false);
        var (reads, physical, fallback) = (round.Counter.Reads, round.Physical!.Reads, round.Fallback.Reads);
        round.Run(write: false);
        Console.WriteLine($"per call of the {Round.CallsPerRound}-call round (ENTER + EXIT): " +
            $"{(round.Counter.Reads - reads) / (double)Round.CallsPerRound:F1} guest reads, " +
            $"{(round.Physical.Reads - physical) / (double)Round.CallsPerRound:F1} reads of guest RAM (page-table entries and data), " +
            $"{(round.Fallback.Reads - fallback) / (double)Round.CallsPerRound:F1} reads through the fallback (QEMU's read live)");
        foreach (var (name, n) in round.ReadsByCall()) Console.WriteLine($"  {name}: {n} reads (ENTER + EXIT)");
        return 0;
    }

    /// <summary>The guest, its RAM file, the decoder and the hit sequence of one round.</summary>
    private sealed class Round : IDisposable
    {
        public const int CallsPerRound = 25;
        private readonly string _ramPath, _ringPath;
        private readonly SharedRamFilePhysicalMemory _ram;
        private readonly WindowsSyscallDecoder _decoder;
        private readonly (GuestCall Call, VcpuState Enter, VcpuState Exit)[] _hits;
        private readonly SyscallRecord _record = new();
        private readonly TraceRing _ring;
        private readonly RingDrain _drain;
        private readonly RingStringCache _strings = new();

        public Round(bool countPhysical = false)
        {
            var isf = new ProfileStore(Path.Combine(Path.GetTempPath(), "alkanet-no-such-profiles")).LoadDefault();
            var d = SyntheticWindowsBootDisk.Build(isf, new SyntheticBootOptions { Iterations = 1 });
            var g = d.Guest;
            var calls = d.ExpectedCalls.Where(c => c.Returns).ToArray();
            if (calls.Length != CallsPerRound) throw new InvalidOperationException($"the round has {calls.Length} calls, not {CallsPerRound}");
            foreach (var c in calls) ServiceEffects(d, c);
            _ramPath = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), $"alkanet-bench-{Environment.ProcessId}.ram");
            using (var f = new FileStream(_ramPath, FileMode.Create, FileAccess.Write))
            {
                f.SetLength((long)d.WindowEnd);
                foreach (var (address, contents) in g.Physical.WrittenFrames())
                {
                    f.Position = (long)address;
                    f.Write(contents);
                }
            }
            _ram = new SharedRamFilePhysicalMemory(_ramPath);
            var kernel = WindowsKernel.Discover(g.EnterState(d.SampleThread, 0), g.Physical, new ProfileStore(Path.GetTempPath()));
            if (!kernel.Ok) throw new InvalidOperationException(kernel.Error);
            _decoder = new WindowsSyscallDecoder(kernel);
            var cr3 = d.Sample.Tables.Cr3();
            Fallback = new FailingMemory();
            Physical = countPhysical ? new CountingPhysical(_ram) : null;
            Memory = new RamFirstVirtualMemory(Physical ?? (IPhysicalMemory)_ram, Fallback, () => cr3);
            Counter = new CountingMemory(Memory);
            _hits = [.. calls.Select(c => (c, g.EnterState(d.SampleThread, c.Number, [.. c.Args]), g.ExitState(d.SampleThread, c.Status)))];
            _ringPath = Path.Combine(Path.GetTempPath(), $"alkanet-bench-{Environment.ProcessId}-round.ring");
            _ring = TraceRing.Create(_ringPath, slotCount: 4096);
            _drain = new RingDrain(_ring, new NullSink());
        }

        public RamFirstVirtualMemory Memory { get; }
        public CountingMemory Counter { get; }
        public CountingPhysical? Physical { get; }
        public FailingMemory Fallback { get; }

        public void Run(bool write)
        {
            foreach (var (_, enter, exit) in _hits)
            {
                Hit(enter, SiteKind.Enter, write);
                Hit(exit, SiteKind.Exit, write);
            }
            if (write) _drain.DrainAvailable();
        }

        private void Hit(in VcpuState state, SiteKind kind, bool write)
        {
            Memory.BeginHit(); // as the plugin: translations live for one hit, CR3 asked for at the first read
            _decoder.Decode(state, Counter, kind, _record);
            if (!write) return;
            _record.TimestampNs = 1;
            _ring.TryWrite(_record, _strings);
        }

        public IEnumerable<(string Name, long Reads)> ReadsByCall()
        {
            foreach (var (call, enter, exit) in _hits)
            {
                var before = Counter.Reads;
                Hit(enter, SiteKind.Enter, write: false);
                Hit(exit, SiteKind.Exit, write: false);
                yield return (call.Name, Counter.Reads - before);
            }
        }

        public void Dispose()
        {
            _ring.Dispose();
            _ram.Dispose();
            File.Delete(_ramPath);
            File.Delete(_ringPath);
        }

        private static ulong Hex(string text) => ulong.Parse(text, System.Globalization.NumberStyles.HexNumber);

        /// <summary>What the synthetic services write before returning (as tests/Alkanet.SyntheticBoot.Tests' GuestLayoutTests).</summary>
        private static void ServiceEffects(SyntheticWindowsBootDisk d, GuestCall c)
        {
            var t = d.Sample.Tables;
            if (c.OutHandle is { } h) t.WriteU64(c.Args[0], h);
            switch (c.Name)
            {
                case "NtWriteFile": t.WriteU64(c.Args[4] + 8, c.Args[6]); break;
                case "NtAllocateVirtualMemory": t.WriteU64(c.Args[1], Hex(c.Exit["base_address"])); break;
                case "NtWriteVirtualMemory": t.WriteU64(c.Args[4], c.Args[3]); break;
                case "NtCreateUserProcess":
                    t.WriteU64(c.Args[1], Hex(c.Exit["out_thread_handle"]));
                    break;
            }
        }
    }

    private sealed class NullSink : Alkanet.Core.Sinks.IRecordSink
    {
        public void Write(SyscallRecord record) { }
        public void Flush() { }
        public void Dispose() { }
    }

    /// <summary>Counts reads of guest RAM (each page-table entry and each piece of data).</summary>
    private sealed class CountingPhysical(IPhysicalMemory inner) : IPhysicalMemory
    {
        public long Reads;
        public ulong Size => inner.Size;

        public bool TryRead(ulong physicalAddress, Span<byte> destination)
        {
            Reads++;
            return inner.TryRead(physicalAddress, destination);
        }
    }

    /// <summary>Counts the decoder's reads.</summary>
    private sealed class CountingMemory(IVirtualMemory inner) : IVirtualMemory
    {
        public long Reads;

        public int Read(ulong virtualAddress, Span<byte> destination)
        {
            Reads++;
            return inner.Read(virtualAddress, destination);
        }
    }

    /// <summary>Stands in for QEMU's read: counts what the page walk over the RAM file missed.</summary>
    private sealed class FailingMemory : IVirtualMemory
    {
        public long Reads;

        public int Read(ulong virtualAddress, Span<byte> destination)
        {
            Reads++;
            return 0;
        }
    }
}
