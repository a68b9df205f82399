using Alkanet.Core.Records;
using Alkanet.Core.Sinks;
using Alkanet.Logging.Client;
using Alkanet.Logging.Wire;
using Alkanet.Ring;

namespace Alkanet.Cli.Commands;

/// <summary><c>alkanet run --logger</c>: the logging client as a second sink beside DIR/trace.jsonl, and the logger's
/// control mapped onto the tracer — pause/resume/start onto the ring's pause flag (the plugin stops producing),
/// the filter onto the drain (applied before numbering, so <c>no</c> stays gap-free; a filter of exactly one pid
/// also goes into the ring, so the guest-side hook skips the rest), stop onto ending the run.</summary>
internal sealed class RunLoggerLink : IRecordSink
{
    private readonly LoggerClient _client;
    private readonly TimeSpan _flushTimeout;
    private readonly Lock _gate = new();
    private TraceRing? _ring;
    private volatile string? _writeError;

    public RunLoggerLink(LoggerClient client, TimeSpan flushTimeout)
    {
        _client = client;
        _flushTimeout = flushTimeout;
        client.Control.CommandReceived += _ => Apply();
    }

    public LoggerClient Client => _client;

    /// <summary>Why records stopped reaching the logger (it refused the stream), or null.</summary>
    public string? WriteError => _writeError;

    /// <summary>False once a flush did not become durable within the timeout.</summary>
    public bool Durable { get; private set; } = true;

    public CancellationToken StopRequested => _client.Control.StopRequested;

    /// <summary>The drain's filter: LOSS markers always pass; the rest by the logger's current filter.</summary>
    public bool Keep(SyscallRecord r)
    {
        var f = _client.Control.Filter;
        return f.IsAll || f.Matches(r);
    }

    /// <summary>Called with the ring before QEMU starts: the current state applies at once (a tracer told to wait for Start begins paused).</summary>
    public void Attach(TraceRing ring)
    {
        lock (_gate) _ring = ring;
        Apply();
    }

    /// <summary>Called before the ring is unmapped: later commands must not touch it.</summary>
    public void Detach(TraceRing ring)
    {
        lock (_gate) _ring = null;
    }

    private void Apply()
    {
        lock (_gate) ApplyLocked();
    }

    private void ApplyLocked()
    {
        if (_ring is not { } ring) return;
        var c = _client.Control;
        ring.Paused = c.State is TracerState.Paused or TracerState.Waiting or TracerState.Stopped;
        var f = c.Filter;
        ring.FilterPid = f.Pids.Count == 1 && f.ProcessNames.Count == 0 && f.CallNames.Count == 0 ? f.Pids[0] : 0;
    }

    public void Write(SyscallRecord record)
    {
        if (_writeError is not null) return;
        try
        {
            _client.Write(record);
        }
        catch (InvalidOperationException e)
        {
            // The logger refused the stream: the local file stays the full log; the end of the run says so.
            _writeError = e.Message;
        }
    }

    /// <summary>Waits (bounded) until the logger has made everything durable. Once that timed out, later flushes
    /// (the drain's and the command's) do not wait again: the logger is gone, the local file is the log.</summary>
    public void Flush()
    {
        if (_writeError is null && Durable && !_client.Flush(_flushTimeout)) Durable = false;
    }

    /// <summary>The client is disposed by the command (it says goodbye, which completes the run on the logger).</summary>
    public void Dispose()
    {
    }
}
