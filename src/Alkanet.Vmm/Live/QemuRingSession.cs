using System.Diagnostics;
using Alkanet.Core.Records;
using Alkanet.Core.Sinks;
using Alkanet.Vmm.Qemu;
using Alkanet.Ring;

namespace Alkanet.Vmm.Live;

/// <summary>One traced QEMU run, whatever it boots (the Linux analysis guest or a user's disk image): creates the
/// ring in /dev/shm, starts QEMU, drains the ring into the trace file (and any extra sinks) on its own thread while
/// the guest runs, and ends on QEMU's exit, the timeout (QEMU is killed) or a stop request; the ring is drained to
/// the end and its counters read before it is unmapped and deleted.</summary>
public static class QemuRingSession
{
    /// <param name="Timeout">Kill QEMU after this long.</param>
    /// <param name="OnStarted">Called with QEMU's process id once it runs.</param>
    /// <param name="DrainDelay">Tests of a full ring: sleep this long after each drained batch.</param>
    /// <param name="DrainNice">Nice value of the drain thread (0 keeps the tracer's).</param>
    /// <param name="Stop">Cancelled to end the run early (outcome Stopped).</param>
    /// <param name="BeforeKill">Called when the timeout or a stop ends the run, before QEMU is killed (the end screenshot).</param>
    public sealed record Limits(TimeSpan Timeout, Action<int>? OnStarted = null, TimeSpan DrainDelay = default, int DrainNice = 0,
        Action? BeforeKill = null, CancellationToken Stop = default);

    /// <summary>Where records go and who watches the ring.</summary>
    public sealed class Output
    {
        public required string TracePath { get; init; }
        public IReadOnlyList<IRecordSink> ExtraSinks { get; init; } = [];
        public Func<SyscallRecord, bool>? Filter { get; init; }
        public Action<TraceRing>? OnRingReady { get; init; }
        public Action<TraceRing>? OnRingClosing { get; init; }
        public int RingSlots { get; init; } = RingLayout.DefaultSlotCount;
        public bool DropWhenFull { get; init; }
    }

    /// <summary>How QEMU ended and the ring's final counters.</summary>
    public sealed class Result
    {
        public bool TimedOut { get; init; }
        public bool Stopped { get; init; }
        public int ExitCode { get; init; }
        public string Diagnostics { get; init; } = "";
        public long Records { get; init; }
        public long Lost { get; init; }
        public long Filtered { get; init; }
        public ulong Hits { get; init; }
        public ulong PluginErrors { get; init; }
        public ulong Stalls { get; init; }
        public ulong PluginState { get; init; }
        public ulong Slide { get; init; }
        public ulong KernelBase { get; init; }
        public ulong DiscoveryAttempts { get; init; }
        public ulong DiscoveryFailures { get; init; }
        public string OsStatus { get; init; } = "";
    }

    /// <param name="launchFor">The QEMU launch, given the ring file's path (for the plugin's ring= argument).</param>
    public static Result Run(QemuInstallation qemu, Func<string, QemuLaunch> launchFor, Output output, Limits limits)
    {
        var ringPath = Path.Combine("/dev/shm", $"alkanet-{Environment.ProcessId}-{Guid.NewGuid():N}.ring");
        try
        {
            using var ring = TraceRing.Create(ringPath, slotCount: output.RingSlots, dropWhenFull: output.DropWhenFull);
            using var release = new Release(() => output.OnRingClosing?.Invoke(ring)); // disposed first: before the unmap
            var launch = launchFor(ringPath);
            using var sink = new JsonLinesFileSink(output.TracePath);
            IRecordSink target = output.ExtraSinks.Count == 0 ? sink : new FanOutSink([sink, .. output.ExtraSinks]);
            var drain = new RingDrain(ring, target) { Filter = output.Filter };
            output.OnRingReady?.Invoke(ring);
            var (timedOut, stopped, exitCode, diagnostics) = RunVm(qemu, launch, ring, drain, limits);
            target.Flush();
            return new Result
            {
                TimedOut = timedOut, Stopped = stopped, ExitCode = exitCode, Diagnostics = diagnostics,
                Records = drain.Written, Lost = drain.Lost, Filtered = drain.Filtered,
                Hits = ring.Hits, PluginErrors = ring.Errors, Stalls = ring.Stalls, PluginState = ring.PluginState, Slide = ring.Slide,
                KernelBase = ring.KernelBase, DiscoveryAttempts = ring.DiscoveryAttempts, DiscoveryFailures = ring.DiscoveryFailures,
                OsStatus = ring.OsStatus,
            };
        }
        finally
        {
            File.Delete(ringPath);
        }
    }

    private static (bool TimedOut, bool Stopped, int ExitCode, string Diagnostics) RunVm(QemuInstallation qemu, QemuLaunch launch, TraceRing ring,
        RingDrain drain, Limits limits)
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
        if (timedOut || stopped)
        {
            limits.BeforeKill?.Invoke();
            vm.Kill();
        }
        vm.WaitForExit(TimeSpan.FromSeconds(10));
        Volatile.Write(ref stop, 1);
        drainer.Join();
        ring.HostAttached = false;
        if (drainError is not null) throw new IOException($"writing the trace failed: {drainError.Message}", drainError);
        drain.Finish();
        return (timedOut, stopped, vm.HasExited ? vm.ExitCode : -1, vm.Diagnostics());
    }
}
