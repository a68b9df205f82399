using System.Diagnostics;
using Alkanet.Core.Records;
using Alkanet.Core.Sinks;
using Alkanet.Introspection.Hooks;

namespace Alkanet.Vmm.Gdb;

public sealed class GdbTracerOptions
{
    /// <summary>Stop tracing after this long (null: until cancelled or the VM exits).</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>Stop after this many hits (null: no limit); tests and benchmarks use it.</summary>
    public long? MaxHits { get; init; }

    /// <summary>How often a wait for the next stop looks at cancellation and the duration.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(100);
}

public enum GdbTraceEnd
{
    Duration,
    Cancelled,
    HitLimit,

    /// <summary>The VM shut down or the target exited (stop reply W/X).</summary>
    TargetExited,
}

/// <summary>What one run did, with the per-hit cost the figures in docs/PERFORMANCE.md come from.</summary>
public sealed record GdbTraceSummary(
    GdbTraceEnd End,
    long Hits,
    long Records,
    long RipSteps,
    long SingleSteps,
    long RoundTrips,
    TimeSpan Elapsed,
    TimeSpan HandlingTime)
{
    public double HitsPerSecond => Elapsed.TotalSeconds > 0 ? Hits / Elapsed.TotalSeconds : 0;

    /// <summary>Packets per hit, the continue included.</summary>
    public double RoundTripsPerHit => Hits > 0 ? (double)RoundTrips / Hits : 0;

    /// <summary>Host-side time from a stop reply to the continue, per hit (the rest of a hit's cost is QEMU's).</summary>
    public TimeSpan HandlingPerHit => Hits > 0 ? HandlingTime / Hits : TimeSpan.Zero;
}

/// <summary>
/// The breakpoint loop of the gdbstub hook: sets a hardware breakpoint on every site the OS found (<see cref="IGuestOs.Found"/>), and on
/// each stop reads the hitting vCPU's registers, hands them (and that vCPU's view of memory) to the OS,
/// writes the record with the next gap-free <c>no</c>, steps the vCPU over the site and resumes the VM.
/// On the way out (duration, cancellation, hit limit) it stops the VM and removes its breakpoints; detaching is
/// the caller's (the client's <see cref="GdbClient.Detach"/>).
/// </summary>
public sealed class GdbSyscallTracer(GdbClient client, IGuestOs os, IRecordSink sink, GdbTracerOptions? options = null)
{
    private readonly GdbTracerOptions _options = options ?? new GdbTracerOptions();

    /// <summary>The next sequence number; a run starts at 1 unless set before <see cref="Run"/>.</summary>
    public long NextNo { get; set; } = 1;

    public GdbTraceSummary Run(CancellationToken cancellation = default)
    {
        var sites = new Dictionary<ulong, HookSite>();
        var found = os.Found ?? throw new InvalidOperationException($"{os.Name} has not found its hook sites yet (see GdbAttach.Discover)");
        foreach (var site in found.Sites)
        {
            if (!sites.TryAdd(site.Address, site))
                throw new InvalidOperationException($"two hook sites at 0x{site.Address:x} ({sites[site.Address].Name}, {site.Name})");
        }
        if (sites.Count == 0) throw new InvalidOperationException($"{os.Name} names no hook sites");

        var record = new SyscallRecord();
        long hits = 0, records = 0, ripSteps = 0, singleSteps = 0;
        var roundTripsAtStart = client.RoundTrips;
        var handling = new Stopwatch();
        var clock = Stopwatch.StartNew();
        var end = GdbTraceEnd.Cancelled;
        var armed = new List<ulong>();
        var exited = false;
        try
        {
            foreach (var address in sites.Keys)
            {
                client.SetHardwareBreakpoint(address);
                armed.Add(address);
            }
            while (true)
            {
                client.Continue();
                handling.Stop();
                GdbStopReply? stop;
                while ((stop = client.WaitForStop(_options.PollInterval)) is null)
                {
                    if (cancellation.IsCancellationRequested) { end = GdbTraceEnd.Cancelled; break; }
                    if (_options.Duration is { } d && clock.Elapsed >= d) { end = GdbTraceEnd.Duration; break; }
                }
                if (stop is null)
                {
                    client.Interrupt();
                    break;
                }
                handling.Start();
                if (stop.Kind != GdbStopKind.Signal)
                {
                    end = GdbTraceEnd.TargetExited;
                    exited = true;
                    break;
                }
                if (!stop.IsTrap || stop.Thread is not { } thread) continue;
                var state = client.ReadRegisters(thread);
                if (!sites.TryGetValue(state.Rip, out var hitSite)) continue; // a stop that is not ours (another debugger's step, say)
                hits++;
                record.Reset();
                if (os.OnHit(hitSite, state, client.MemoryOf(thread), record))
                {
                    record.No = NextNo++;
                    record.CpuId = state.CpuIndex;
                    record.TimestampNs ??= (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
                    if ((state.Known & Introspection.Cpu.KnownRegisters.Control) != 0) record.Cr3 ??= state.Cr3;
                    sink.Write(record);
                    records++;
                }
                if (client.StepOver(thread, hitSite.Address, state.Rip) == StepOverMethod.RipAdvanced) ripSteps++;
                else singleSteps++;
                if (_options.MaxHits is { } max && hits >= max) { end = GdbTraceEnd.HitLimit; break; }
                if (cancellation.IsCancellationRequested) { end = GdbTraceEnd.Cancelled; break; }
                if (_options.Duration is { } limit && clock.Elapsed >= limit) { end = GdbTraceEnd.Duration; break; }
            }
        }
        finally
        {
            handling.Stop();
            if (!exited)
            {
                try
                {
                    if (client.IsRunning) client.Interrupt();
                    foreach (var address in armed) client.RemoveHardwareBreakpoint(address);
                }
                catch (GdbProtocolException)
                {
                    // The connection is gone (the exception in flight says why); QEMU drops breakpoints with it.
                }
            }
            sink.Flush();
        }
        return new GdbTraceSummary(end, hits, records, ripSteps, singleSteps, client.RoundTrips - roundTripsAtStart,
            clock.Elapsed, handling.Elapsed);
    }
}
