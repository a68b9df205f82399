using Alkanet.Introspection.Hooks;
using Alkanet.Core.Records;
using Alkanet.Introspection.Memory;
using Alkanet.Introspection.TestKit;
using Alkanet.Introspection.Windows;

namespace Alkanet.Introspection.Tests.Windows;

/// <summary>A synthetic 1909 guest with one calling process and thread, a discovered kernel and a decoder.</summary>
internal sealed class DecoderHarness
{
    public DecoderHarness(SyntheticGuestOptions? options = null, WindowsDecoderOptions? decoderOptions = null, string procName = "7d317343ffac1b")
    {
        Guest = KernelDiscoveryTests.NewGuest(options);
        Process = Guest.AddProcess(0x21f4, procName, 0x1a0c, @"C:\Users\u\7d317343ffac1b.exe", "\"C:\\Users\\u\\7d317343ffac1b.exe\" -x");
        Thread = Process.AddThread(0x21f8);
        var probe = Guest.EnterState(Thread, 0);
        Kernel = WindowsKernel.Discover(probe, Guest.Physical, KernelDiscoveryTests.Store);
        if (!Kernel.Ok) throw new InvalidOperationException(Kernel.Error);
        Decoder = new WindowsSyscallDecoder(Kernel, decoderOptions);
        Memory = Guest.MemoryOf(Process);
    }

    public SyntheticWindowsGuest Guest { get; }
    public SyntheticProcess Process { get; }
    public SyntheticThread Thread { get; }
    public WindowsKernelInfo Kernel { get; }
    public WindowsSyscallDecoder Decoder { get; }
    public PagedVirtualMemory Memory { get; }
    public SyscallRecord Record { get; } = new();

    public ulong Number(string name) => Kernel.Syscalls!.Table.TryGetNumber(name, out var n) ? n : throw new ArgumentException(name);

    public SyscallRecord Enter(string name, params ulong[] args) => Enter(Thread, name, args);

    public SyscallRecord Enter(SyntheticThread thread, string name, params ulong[] args)
    {
        var s = Guest.EnterState(thread, Number(name), args);
        Memory.SetCr3(s.Cr3);
        Decoder.Decode(s, Memory, SiteKind.Enter, Record).ShouldBeTrue();
        return Record.Clone();
    }

    public SyscallRecord Exit(uint status = 0) => Exit(Thread, status);

    public SyscallRecord Exit(SyntheticThread thread, uint status = 0)
    {
        var s = Guest.ExitState(thread, status);
        Memory.SetCr3(s.Cr3);
        Decoder.Decode(s, Memory, SiteKind.Exit, Record).ShouldBeTrue();
        return Record.Clone();
    }
}
