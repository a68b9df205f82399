using Alkanet.Core.Records;
using Alkanet.Core.Sinks;
using Alkanet.Logging.Client;
using Alkanet.Logging.Wire;
using Alkanet.Ring;
using Alkanet.Vmm.Live;

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

    /// <summary>Connects to the logger and waits briefly for its answer, so a wrong token or run id fails before the guest boots.
    /// A logger that is not up yet is not fatal: records buffer and are sent once it answers.</summary>
    public static RunLoggerLink Connect(string host, string token, string runId, bool lossMarkers, bool waitForStart, TextWriter error)
    {
        LoggerClient client;
        try
        {
            client = LoggerClient.Connect(new LoggerClientOptions
            {
                Endpoint = host, Token = token, RunId = runId, ClientName = "alkanet run",
                OnFull = lossMarkers ? BufferFullPolicy.LossMarker : BufferFullPolicy.BackPressure,
                WaitForStart = waitForStart, CloseTimeout = TimeSpan.FromSeconds(10),
            });
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--logger/--run-id: {e.Message}");
        }
        var connected = client.WaitConnected(TimeSpan.FromSeconds(5));
        if (client.Fault is { } fault)
        {
            client.Dispose();
            throw new CommandFailedException($"the logger at {host} refused run '{runId}': {fault}");
        }
        error.WriteLine(connected
            ? $"logger: streaming run '{runId}' to {host}{(waitForStart ? " (waiting for start)" : "")}"
            : $"logger: {host} does not answer yet ({client.LastError ?? "no connection"}); records are kept and sent once it does");
        return new RunLoggerLink(client, TimeSpan.FromSeconds(20));
    }

    /// <summary>The run's options with this link wired in: a second sink, the drain's filter, the ring's control, the stop.</summary>
    public TracedRunOptions Wire(TracedRunOptions o) => o with
    {
        ExtraSinks = [this], RecordFilter = Keep, OnRingReady = Attach, OnRingClosing = Detach, Stop = StopRequested,
    };

    /// <summary>Flushes to the logger and says goodbye (the run becomes complete there); false when not everything became durable.</summary>
    public bool Close(TextWriter output, TextWriter error)
    {
        Flush();
        if (WriteError is { } why)
        {
            error.WriteLine($"alkanet: the logger refused the stream ({why}); the local trace.jsonl is the complete log");
            return false;
        }
        if (!Durable || _client.Fault is not null)
        {
            error.WriteLine($"alkanet: the logger did not acknowledge every record (through no {_client.LastAckedNo}); " +
                $"{_client.Fault ?? _client.LastError}");
            return false;
        }
        output.WriteLine($"logger: run '{_client.Options.RunId}' stored through no {_client.LastAckedNo} " +
            $"({_client.RecordsDropped} dropped for the logger)");
        return true;
    }

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
