using Alkanet.Analysis.Events;
using Alkanet.Analysis.Model;
using Alkanet.Core.Records;
using Alkanet.Introspection.Hooks;
using Alkanet.Introspection.Cpu;
using Alkanet.Introspection.Memory;
using Alkanet.Introspection.Symbols;
using Alkanet.Introspection.TestKit;
using Alkanet.Introspection.Windows;

namespace Alkanet.Analysis.Tests;

/// <summary>
/// Windows record sequences made the way a live trace makes them: each call is laid out in a synthetic 1909 guest
/// (processes, threads, handle tables, arguments in user memory) and decoded at its ENTER and EXIT by the real
/// <see cref="WindowsSyscallDecoder"/>; the records go through the <see cref="RecordPairer"/> into an <see cref="Analyzer"/>.
/// </summary>
internal sealed class WindowsGuestRecords
{
    private static readonly ProfileStore Store = new(Path.Combine(Path.GetTempPath(), "alkanet-no-such-profiles"));
    private static readonly Lazy<IsfFile> Nt1909 = new(() => Store.LoadDefault());
    private readonly WindowsSyscallDecoder _decoder;
    private readonly WindowsKernelInfo _kernel;
    private readonly RecordPairer _pairer;
    private readonly SyscallRecord _record = new();
    private long _no;

    public WindowsGuestRecords(ulong pid = 0x1000, string name = "inj.exe")
    {
        Guest = new SyntheticWindowsGuest(Nt1909.Value);
        Sample = Guest.AddProcess(pid, name, 0x400, $@"C:\Users\u\{name}", name);
        Thread = Sample.AddThread(pid + 4);
        _kernel = WindowsKernel.Discover(Guest.EnterState(Thread, 0), Guest.Physical, Store);
        if (!_kernel.Ok) throw new InvalidOperationException(_kernel.Error);
        _decoder = new WindowsSyscallDecoder(_kernel);
        _pairer = new RecordPairer(Analyzer, Analyzer.WantsArguments);
    }

    public SyntheticWindowsGuest Guest { get; }
    public SyntheticProcess Sample { get; }
    public SyntheticThread Thread { get; }
    public Analyzer Analyzer { get; } = new();

    /// <summary>Record numbers of the calls made, by a label the test gives.</summary>
    public Dictionary<string, long> Nos { get; } = [];

    /// <summary>One call of the sample's thread: ENTER decoded, <paramref name="before"/> run (the kernel's work: out
    /// parameters, new objects), EXIT decoded. Returns the ENTER's record number.</summary>
    public long Call(string label, string name, ulong[] args, Action? before = null, uint status = 0, SyntheticThread? by = null)
    {
        var thread = by ?? Thread;
        var memory = Guest.MemoryOf(thread.Process);
        var number = _kernel.Syscalls!.Table.TryGetNumber(name, out var n) ? n : throw new ArgumentException(name);
        Decode(Guest.EnterState(thread, number, args), memory, SiteKind.Enter);
        var enter = _no;
        before?.Invoke();
        Decode(Guest.ExitState(thread, status), memory, SiteKind.Exit);
        Nos[label] = enter;
        return enter;
    }

    private void Decode(VcpuState s, PagedVirtualMemory memory, SiteKind site)
    {
        memory.SetCr3(s.Cr3);
        if (!_decoder.Decode(s, memory, site, _record)) throw new InvalidOperationException("the decoder refused the call");
        _record.No = ++_no;
        _pairer.Add(_record);
    }

    public Analyzer Finish()
    {
        _pairer.Finish();
        return Analyzer;
    }

    /// <summary>NtCreateUserProcess of <paramref name="image"/>, suspended or not; the child and its first thread.</summary>
    public (SyntheticProcess Child, SyntheticThread Thread, ulong ProcessHandle, ulong ThreadHandle) CreateProcess(
        ulong pid, string image, bool suspended)
    {
        var p = Sample;
        var parameters = p.UserAlloc(Guest.Size("_RTL_USER_PROCESS_PARAMETERS"));
        p.Tables.WriteU32(parameters + Guest.Off("_RTL_USER_PROCESS_PARAMETERS", "Flags"), 1);
        p.WriteUnicodeString(parameters + Guest.Off("_RTL_USER_PROCESS_PARAMETERS", "ImagePathName"), $@"\??\C:\Windows\{image}");
        p.WriteUnicodeString(parameters + Guest.Off("_RTL_USER_PROCESS_PARAMETERS", "CommandLine"), image);
        var processOut = p.U64(0);
        var threadOut = p.U64(0);
        SyntheticProcess child = null!;
        SyntheticThread thread = null!;
        ulong ph = 0, th = 0;
        Call("create", "NtCreateUserProcess", [processOut, threadOut, 0x2000000, 0x2000000, 0, 0, 0, suspended ? 1UL : 0, parameters,
            p.UserAlloc(0x58), 0], () =>
        {
            child = Guest.AddProcess(pid, image, Sample.Pid, $@"C:\Windows\{image}", image);
            thread = child.AddThread(pid + 4);
            ph = p.AddHandle(child.Eprocess);
            th = p.AddHandle(thread.Ethread);
            p.Tables.WriteU64(processOut, ph);
            p.Tables.WriteU64(threadOut, th);
        });
        return (child, thread, ph, th);
    }

    /// <summary>A process already running before the sample acts on it (its calls are in the trace).</summary>
    public (SyntheticProcess Process, SyntheticThread Thread) Running(ulong pid, string name)
    {
        var p = Guest.AddProcess(pid, name, 0x400, $@"C:\Windows\{name}", name);
        var t = p.AddThread(pid + 4);
        Call(name, "NtDelayExecution", [0, p.U64(unchecked((ulong)-10_000))], by: t);
        return (p, t);
    }

    public void Write(string label, ulong processHandle, int size) =>
        Call(label, "NtWriteVirtualMemory", [processHandle, 0x40_0000, Sample.UserAlloc((ulong)size), (ulong)size, Sample.U64(0)]);
}
