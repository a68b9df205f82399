using Alkanet.Introspection.Cpu;

namespace Alkanet.Vmm.Tests.Gdb.Fakes;

/// <summary>One scripted hook hit: the vCPU arrives at <see cref="State"/>.Rip with these registers.</summary>
internal sealed record ScriptedHit(int Cpu, VcpuState State);

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

    public Queue<ScriptedHit> Script { get; } = new();

    /// <summary>What happens when the script runs out: the VM "shuts down" (W00), or runs until interrupted.</summary>
    public bool ExitWhenScriptEnds { get; set; } = true;

    /// <summary>Bytes a single step advances RIP by (the fake's stand-in for one instruction).</summary>
    public int StepLength { get; set; } = 5;
}
