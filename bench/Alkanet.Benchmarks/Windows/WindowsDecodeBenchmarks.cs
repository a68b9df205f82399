using Alkanet.Introspection.Hooks;
using Alkanet.Core.Records;
using Alkanet.Introspection.Cpu;
using Alkanet.Introspection.Memory;
using Alkanet.Introspection.Symbols;
using Alkanet.Introspection.TestKit;
using Alkanet.Introspection.Windows;
using BenchmarkDotNet.Attributes;

namespace Alkanet.Benchmarks.Windows;

/// <summary>Decoding one syscall hit of a synthetic Windows 10 1909 guest through the page walker: warm (translation
/// and string caches filled) and cold (translation cache dropped before every decode, as after a CR3 change).
/// Run: dotnet run -c Release --project bench/Alkanet.Benchmarks -- --filter '*WindowsDecode*'</summary>
[MemoryDiagnoser]
public class WindowsDecodeBenchmarks
{
    private readonly SyscallRecord _record = new();
    private WindowsSyscallDecoder _decoder = null!;
    private PagedVirtualMemory _memory = null!;
    private VcpuState _closeEnter, _closeExit, _createFileEnter, _createFileExit, _allocEnter;

    [GlobalSetup]
    public void Setup()
    {
        var store = new ProfileStore(Path.Combine(Path.GetTempPath(), "alkanet-bench-no-profiles"));
        var guest = new SyntheticWindowsGuest(store.LoadDefault());
        var p = guest.AddProcess(0x21f4, "7d317343ffac1b", 0x1a0c, null, null);
        var t = p.AddThread(0x21f8);
        var kernel = WindowsKernel.Discover(guest.EnterState(t, 0), guest.Physical, store);
        if (!kernel.Ok) throw new InvalidOperationException(kernel.Error);
        _decoder = new WindowsSyscallDecoder(kernel);
        _memory = guest.MemoryOf(p);
        var table = kernel.Syscalls!.Table;
        table.TryGetNumber("NtClose", out var close);
        table.TryGetNumber("NtCreateFile", out var create);
        table.TryGetNumber("NtAllocateVirtualMemory", out var alloc);
        var handle = p.AddHandle(guest.AddFile(@"\Windows\Globalization\Sorting\sortdefault.nls"));
        _closeEnter = guest.EnterState(t, close, handle);
        _closeExit = guest.ExitState(t, 0);
        var oa = p.ObjectAttributes(@"\??\C:\Windows\Globalization\Sorting\sortdefault.nls");
        _createFileEnter = guest.EnterState(t, create, p.U64(handle), 0x80100080, oa, p.UserAlloc(16), 0, 0x80, 1, 1, 0x60, 0, 0);
        _createFileExit = guest.ExitState(t, 0);
        _allocEnter = guest.EnterState(t, alloc, ulong.MaxValue, p.U64(0), 0, p.U64(0x1000), 0x3000, 0x40);
        for (var i = 0; i < 100; i++) { NtClose_EnterExit_Warm(); NtCreateFile_EnterExit_Warm(); NtAllocateVirtualMemory_Enter_Warm(); }
    }

    [Benchmark(Baseline = true)]
    public void NtClose_Enter_Warm() => _decoder.Decode(_closeEnter, _memory, SiteKind.Enter, _record);

    [Benchmark]
    public void NtClose_EnterExit_Warm()
    {
        _decoder.Decode(_closeEnter, _memory, SiteKind.Enter, _record);
        _decoder.Decode(_closeExit, _memory, SiteKind.Exit, _record);
    }

    [Benchmark]
    public void NtAllocateVirtualMemory_Enter_Warm()
    {
        _decoder.Decode(_allocEnter, _memory, SiteKind.Enter, _record);
        _decoder.Pairing.Clear();
    }

    [Benchmark]
    public void NtCreateFile_EnterExit_Warm()
    {
        _decoder.Decode(_createFileEnter, _memory, SiteKind.Enter, _record);
        _decoder.Decode(_createFileExit, _memory, SiteKind.Exit, _record);
    }

    [Benchmark]
    public void NtClose_Enter_ColdTranslation()
    {
        _memory.Cache.Clear();
        _decoder.Decode(_closeEnter, _memory, SiteKind.Enter, _record);
    }

    [Benchmark]
    public void NtCreateFile_Enter_ColdTranslation()
    {
        _memory.Cache.Clear();
        _decoder.Decode(_createFileEnter, _memory, SiteKind.Enter, _record);
        _decoder.Pairing.Clear();
    }
}
