using Alkanet.Introspection.Cpu;
using Alkanet.Introspection.Hooks;

namespace Alkanet.Vmm.Gdb;

/// <summary>How hard <see cref="GdbAttach.Discover"/> tries to catch a vCPU in the kernel.</summary>
public sealed class GdbAttachOptions
{
    /// <summary>Stops to try (the attach stop included) while every vCPU runs user code whose CR3 may lack the kernel.</summary>
    public int Attempts { get; init; } = 20;

    /// <summary>How long the VM runs between two stops.</summary>
    public TimeSpan RunBetweenAttempts { get; init; } = TimeSpan.FromMilliseconds(20);
}

/// <summary>
/// OS-neutral discovery through an attached, stopped VM: each vCPU's registers and its view of memory go to
/// <see cref="IGuestOs.Find"/>. vCPUs in kernel mode are tried first (under KVA shadow or page-table isolation a user
/// CR3 does not map the kernel); every vCPU only at the attach stop (a failing scan can cost hundreds of reads). When
/// no vCPU was in the kernel, the VM runs a moment and is stopped again, so a one-vCPU guest busy in user mode is caught
/// in the kernel. The IDT base, when the OS asks for it, comes from the monitor's <c>info registers</c> (the gdbstub
/// shows no IDTR).
/// </summary>
public static class GdbAttach
{
    /// <summary>Returns what the OS found (its sites, notes, warnings). Throws <see cref="InvalidOperationException"/>
    /// with the OS's reason when no vCPU leads to the kernel.</summary>
    public static KernelDiscovery Discover(GdbClient client, IGuestOs os, GdbAttachOptions? attach = null)
    {
        attach ??= new GdbAttachOptions();
        var threads = client.ListThreads();
        if (threads.Count == 0) throw new InvalidOperationException("the gdbstub lists no vCPUs");
        var idt = (os.DiscoveryRegisters & RegisterSet.IdtBase) != 0 ? ReadIdtBase(client, os) : null;
        KernelDiscovery? failed = null;
        var failedCpu = 0;
        for (var attempt = 1; ; attempt++)
        {
            var states = threads.Select(t => (Thread: t, State: client.ReadRegisters(t))).OrderBy(c => c.State.CpuIndex).ToList();
            var inKernel = states.Where(c => c.State.Cpl == 0).ToList();
            var candidates = inKernel.Count > 0 ? inKernel : attempt == 1 ? states : [];
            foreach (var (thread, registers) in candidates)
            {
                var state = registers;
                if (idt is { } idtBase)
                {
                    state.IdtBase = idtBase;
                    state.Known |= KnownRegisters.IdtBase;
                }
                var result = os.Find(state, client.MemoryOf(thread));
                if (result.Found)
                {
                    return attempt == 1 ? result
                        : result with { Notes = [.. result.Notes, $"found at stop {attempt} (the VM ran until a vCPU was in the kernel)"] };
                }
                if (failed is null || inKernel.Count > 0) { failed = result; failedCpu = state.CpuIndex; }
                if (result.Final) break; // the kernel was identified: what is missing does not depend on the vCPU
            }
            if (failed!.Final || inKernel.Count > 0 || attempt >= attach.Attempts)
            {
                var where = inKernel.Count > 0 || attempt == 1 ? "" : $"; every vCPU ran user code at each of {attempt} stops";
                throw new InvalidOperationException($"{os.Name} kernel discovery failed (vCPU {failedCpu}" +
                    $"{(states.Count > 1 ? $" of {states.Count}" : "")}{where}): {failed.Error}");
            }
            // Let the guest run a moment: its vCPUs soon enter the kernel (interrupts, system calls).
            client.Continue();
            var stop = client.WaitForStop(attach.RunBetweenAttempts) ?? client.Interrupt();
            if (stop.Kind != GdbStopKind.Signal)
                throw new InvalidOperationException($"the VM ended while {os.Name} kernel discovery waited for a vCPU in the kernel ('{stop.Raw}')");
        }
    }

    private static ulong? ReadIdtBase(GdbClient client, IGuestOs os)
    {
        try
        {
            return client.ReadIdtBase()
                ?? throw new InvalidOperationException($"{os.Name} kernel discovery needs the IDT base (the gdbstub shows no IDTR or MSR LSTAR), " +
                    "and the monitor's 'info registers' printed no IDT= line");
        }
        catch (GdbProtocolException ex) when (ex is not GdbConnectionException)
        {
            throw new InvalidOperationException(
                $"{os.Name} kernel discovery needs the IDT base from the monitor's 'info registers': {ex.Message}", ex);
        }
    }
}
