using System.Diagnostics;
using Alkanet.Vmm.Qemu;
using Alkanet.Vmm.Ring;

namespace Alkanet.Vmm.Live;

/// <summary>One traced QEMU run, whatever it boots (the Linux analysis guest or a user's disk image): starts QEMU,
/// drains the ring on its own thread while the guest runs, and ends on QEMU's exit, the timeout (QEMU is killed) or
/// a stop request; the ring is drained to the end before this returns.</summary>
public static class QemuRingSession
{
    /// <param name="Timeout">Kill QEMU after this long.</param>
    /// <param name="Stop">Cancelled to end the run early (outcome Stopped).</param>
    /// <param name="OnStarted">Called with QEMU's process id once it runs.</param>
    /// <param name="DrainDelay">Tests of a full ring: sleep this long after each drained batch.</param>
    /// <param name="DrainNice">Nice value of the drain thread (0 keeps the tracer's).</param>
    public sealed record Limits(TimeSpan Timeout, Action<int>? OnStarted = null, TimeSpan DrainDelay = default, int DrainNice = 0, CancellationToken Stop = default);

    public sealed record Result(bool TimedOut, bool Stopped, int ExitCode, string Diagnostics);

    public static Result Run(QemuInstallation qemu, QemuLaunch launch, TraceRing ring, RingDrain drain, Limits limits)
    {
        using var vm = QemuMachine.Start(qemu, launch);
        limits.OnStarted?.Invoke(vm.ProcessId);
        var deadline = Stopwatch.StartNew();
        var timedOut = false;
        var stopped = false;
        var stop = 0;
        Exception? drainError = null;
        var drainer = new Thread(() =>
        {
            // Optional: a drain that yields to the vCPU threads (costs no data: back-pressure keeps every record).
            HostThread.LowerPriority(limits.DrainNice);
            try
            {
                while (Volatile.Read(ref stop) == 0)
                {
                    var n = drain.DrainAvailable(4096);
                    if (n > 0 && limits.DrainDelay > TimeSpan.Zero) Thread.Sleep(limits.DrainDelay);
                    if (n == 0) Thread.Sleep(2);
                }
            }
            catch (Exception e) { drainError = e; ring.HostAttached = false; }
        }) { Name = "alkanet ring drain", IsBackground = true };
        drainer.Start();
        while (!vm.HasExited)
        {
            if (deadline.Elapsed > limits.Timeout) { timedOut = true; break; }
            if (limits.Stop.IsCancellationRequested) { stopped = true; break; }
            vm.WaitForExit(TimeSpan.FromMilliseconds(50));
        }
        if (timedOut || stopped) vm.Kill();
        vm.WaitForExit(TimeSpan.FromSeconds(10));
        Volatile.Write(ref stop, 1);
        drainer.Join();
        ring.HostAttached = false;
        if (drainError is not null) throw new IOException($"writing the trace failed: {drainError.Message}", drainError);
        drain.Finish();
        return new Result(timedOut, stopped, vm.HasExited ? vm.ExitCode : -1, vm.Diagnostics());
    }
}
