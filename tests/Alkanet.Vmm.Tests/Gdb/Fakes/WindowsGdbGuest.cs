using Alkanet.Introspection.Cpu;
using Alkanet.Introspection.Memory;
using Alkanet.Introspection.Symbols;
using Alkanet.Introspection.Syscalls;
using Alkanet.Introspection.TestKit;
using Alkanet.Introspection.Windows;

namespace Alkanet.Vmm.Tests.Gdb.Fakes;

/// <summary>
/// A synthetic Windows 10 1909 guest (the introspection test kit, laid out with the built-in 1909 symbol table) behind
/// <see cref="FakeRspServer"/>: memory is read through the hitting vCPU's page tables, the monitor's <c>info
/// registers</c> shows an IDT whose vector 0 is KiDivideErrorFault (or its KVA-shadow copy), every vCPU starts in the
/// kernel, and the script is a list of system calls whose ENTER/EXIT states are built when the vCPU arrives.
/// </summary>
internal sealed class WindowsGdbGuest
{
    /// <summary>Profiles with no user folder: only the built-in 1909 table (so the tests do not see the user's).</summary>
    public static readonly ProfileStore Profiles = new(Path.Combine(Path.GetTempPath(), "alkanet-no-such-profiles"));

    private static readonly Lazy<IsfFile> Nt1909 = new(Profiles.LoadDefault);
    private readonly Dictionary<ulong, PagedVirtualMemory> _views = [];

    public WindowsGdbGuest(SyntheticGuestOptions? options = null, int cpus = 2)
    {
        Guest = new SyntheticWindowsGuest(Nt1909.Value, options);
        Table = WindowsSyscallTables.Instance.Choose(Guest.Options.NtBuildNumber ?? 18363, "nt")!.Table;
        IdtBase = Guest.PoolAlloc(4096, 4096);
        var handler = Guest.Symbol(Guest.Options.KvaShadow ? "KiDivideErrorFaultShadow" : "KiDivideErrorFault");
        Guest.System.Write(IdtBase, [(byte)handler, (byte)(handler >> 8), 0x10, 0, 0, 0x8E, (byte)(handler >> 16), (byte)(handler >> 24)]);
        Guest.System.WriteU32(IdtBase + 8, (uint)(handler >> 32));
        Target = new FakeGdbTarget(cpus) { IdtBase = IdtBase, MemoryOf = View, ExitWhenScriptEnds = false, StepLength = 3 };
        for (var i = 0; i < cpus; i++)
        {
            // Attached while idle: kernel code, the System address space, GS = KPCR.
            Target.Cpus[i] = new VcpuState
            {
                CpuIndex = i, Cs = 0x10, Cr0 = 0x8005_0033, Cr3 = Guest.SystemProcess.Tables.Cr3(),
                Cr4 = Guest.Options.Paging == PagingMode.FiveLevel ? 1UL << 12 : 0, Efer = 0xD01,
                GsBase = Guest.Kpcr, Rip = Guest.KernelBase + 0x1000, Rsp = Guest.Kpcr - 0x100,
            };
        }
    }

    /// <summary>Where the test kit's kernel pool starts (KPCR, objects, processes, threads, the IDT built here).</summary>
    public const ulong PoolBase = 0xFFFF_A380_0000_0000UL;

    public SyntheticWindowsGuest Guest { get; }
    public SyscallTable Table { get; }
    public ulong IdtBase { get; }
    public FakeGdbTarget Target { get; }

    /// <summary>Number of scripted breakpoint hits.</summary>
    public int Hits => Target.Script.Count;

    public ulong Number(string name) => Table.TryGetNumber(name, out var n) ? n : throw new ArgumentException($"no {name} in {Table.Release}");

    public void Enter(int cpu, SyntheticThread thread, string name, params ulong[] args)
    {
        var number = Number(name);
        Target.Script.Enqueue(new ScriptedHit(cpu, default) { Arrive = () => Guest.EnterState(thread, number, args) });
    }

    public void Exit(int cpu, SyntheticThread thread, uint status = 0) =>
        Target.Script.Enqueue(new ScriptedHit(cpu, default) { Arrive = () => Guest.ExitState(thread, status) });

    /// <summary>ENTER then EXIT of one call on one vCPU.</summary>
    public void Call(int cpu, SyntheticThread thread, string name, params ulong[] args)
    {
        Enter(cpu, thread, name, args);
        Exit(cpu, thread);
    }

    private PagedVirtualMemory View(VcpuState state)
    {
        var root = state.Cr3 & PageWalker.AddressMask;
        if (!_views.TryGetValue(root, out var view)) _views[root] = view = new PagedVirtualMemory(Guest.Physical, state.Cr3, Guest.Options.Paging);
        return view;
    }

    /// <summary>
    /// The injection scenario both the tracer and the CLI tests run: a victim (notepad.exe) sleeps; the sample
    /// (7d317343ffac1b, the paper's figure 2) opens sortdefault.nls with figure 2's arguments, opens the victim by
    /// CLIENT_ID, writes into it (the write's EXIT comes on vCPU 1: the thread migrated while blocked) and starts a
    /// thread in it. 10 hits.
    /// </summary>
    public static (WindowsGdbGuest Guest, InjectionScenario Scenario) Injection(SyntheticGuestOptions? options = null)
    {
        var w = new WindowsGdbGuest(options);
        var g = w.Guest;
        g.AddProcess(0x1a0c, "explorer.exe", 0x3c4, @"C:\Windows\explorer.exe", @"C:\Windows\Explorer.EXE");
        var victim = g.AddProcess(0x3e8, "notepad.exe", 0x1a0c, @"C:\Windows\notepad.exe", "notepad");
        var victimThread = victim.AddThread(0x3ec);
        var sample = g.AddProcess(0x21f4, "7d317343ffac1b", 0x1a0c, @"C:\Users\u\7d317343ffac1b.exe", "\"C:\\Users\\u\\7d317343ffac1b.exe\"");
        var thread = sample.AddThread(0x21f8);
        var victimHandle = sample.AddHandle(victim.Eprocess);

        w.Call(1, victimThread, "NtDelayExecution", 0, victim.U64(unchecked((ulong)-10_000_000L)));
        w.Call(0, thread, "NtCreateFile", sample.U64(0), 0x80100080, sample.ObjectAttributes(@"\??\C:\Windows\Globalization\Sorting\sortdefault.nls"),
            sample.UserAlloc(16), 0, 0x80, 1, 1, 0x60, 0, 0);
        w.Call(0, thread, "NtOpenProcess", sample.U64(victimHandle), 0x1FFFFF, sample.ObjectAttributes(null), sample.ClientId(0x3e8, 0));
        w.Enter(0, thread, "NtWriteVirtualMemory", victimHandle, 0x2000_0000, sample.Bytes(new byte[64]), 64, sample.U64(64));
        w.Exit(1, thread);
        w.Call(1, thread, "NtCreateThreadEx", sample.U64(0), 0x1FFFFF, 0, victimHandle, 0x2000_0000, 0, 0, 0, 0, 0, 0);
        return (w, new InjectionScenario(victimHandle));
    }
}

internal sealed record InjectionScenario(ulong VictimHandle)
{
    public const string SampleName = "7d317343ffac1b";
    public const string Figure2FileName = @"0\\??\C:\Windows\Globalization\Sorting\sortdefault.nls";
    public static readonly string[] Calls =
    [
        "NtDelayExecution", "NtDelayExecution", "NtCreateFile", "NtCreateFile", "NtOpenProcess", "NtOpenProcess",
        "NtWriteVirtualMemory", "NtWriteVirtualMemory", "NtCreateThreadEx", "NtCreateThreadEx",
    ];
}
