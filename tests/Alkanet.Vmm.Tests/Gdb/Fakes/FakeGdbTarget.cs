using Alkanet.Introspection.Cpu;
using Alkanet.Introspection.Memory;

namespace Alkanet.Vmm.Tests.Gdb.Fakes;

/// <summary>One scripted hook hit: the vCPU arrives at <see cref="State"/>.Rip with these registers.</summary>
internal sealed record ScriptedHit(int Cpu, VcpuState State)
{
    /// <summary>Builds the state when the vCPU arrives instead of using <see cref="State"/> (a synthetic guest writes
    /// per-hit memory, such as KPCR.CurrentThread, when it makes a state).</summary>
    public Func<VcpuState>? Arrive { get; init; }
}

/// <summary>
/// The guest behind <see cref="FakeRspServer"/>: vCPUs with registers, memory, and a script of places the vCPUs
/// arrive at when resumed. Like QEMU under TCG, a vCPU resumed at an armed breakpoint without being moved hits it again.
/// </summary>
internal sealed class FakeGdbTarget
{
    public FakeGdbTarget(int cpus = 2)
    {
        for (var i = 0; i < cpus; i++) Cpus.Add(new VcpuState { CpuIndex = i, Cs = 0x10, Cr3 = 0x1000 * (ulong)(i + 1) });
    }

    public List<VcpuState> Cpus { get; } = [];

    public SparseMemory Memory { get; } = new();

    /// <summary>Memory as a vCPU sees it (its page tables); null: <see cref="Memory"/> for every vCPU.</summary>
    public Func<VcpuState, IVirtualMemory>? MemoryOf { get; set; }

    /// <summary>The IDTR base the monitor's <c>info registers</c> prints.</summary>
    public ulong IdtBase { get; set; } = 0xfffffe0000000000;

    public Queue<ScriptedHit> Script { get; } = new();

    /// <summary>What happens when the script runs out: the VM "shuts down" (W00), or runs until interrupted.</summary>
    public bool ExitWhenScriptEnds { get; set; } = true;

    /// <summary>Bytes a single step advances RIP by (the fake's stand-in for one instruction).</summary>
    public int StepLength { get; set; } = 5;
}
