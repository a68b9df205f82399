using Alkanet.Logging.Wire;

namespace Alkanet.Logging.Client;

/// <summary>
/// What the logger has told the tracer: its state (waiting, running, paused, stopped) and the record
/// filter. The live tracer reads <see cref="State"/> and <see cref="Filter"/> in its loop (both are
/// cheap volatile reads) or subscribes to <see cref="CommandReceived"/>. A tracer without a logger
/// uses <see cref="Standalone"/>: running, no filter.
/// </summary>
public sealed class TracerControl
{
    private volatile RecordFilter _filter = RecordFilter.All;
    private volatile int _state;

    public TracerControl(TracerState initial = TracerState.Running) => _state = (int)initial;

    /// <summary>The defaults of a tracer started without a logger.</summary>
    public static TracerControl Standalone() => new();

    public TracerState State => (TracerState)_state;

    public RecordFilter Filter => _filter;

    /// <summary>True while the tracer should produce records (running, not paused or stopped).</summary>
    public bool IsTracing => State == TracerState.Running;

    /// <summary>Raised on the client's reader thread after the state was updated; keep handlers short.</summary>
    public event Action<ControlMessage>? CommandReceived;

    /// <summary>Raised when a Stop arrives (also visible as <see cref="State"/> = Stopped).</summary>
    public CancellationToken StopRequested => _stop.Token;

    private readonly CancellationTokenSource _stop = new();

    internal void Apply(ControlMessage message)
    {
        switch (message.Command)
        {
            case ControlCommand.Start:
            case ControlCommand.Resume:
                if (State != TracerState.Stopped) _state = (int)TracerState.Running;
                break;
            case ControlCommand.Pause:
                if (State != TracerState.Stopped) _state = (int)TracerState.Paused;
                break;
            case ControlCommand.Stop:
                _state = (int)TracerState.Stopped;
                break;
            case ControlCommand.SetFilter:
                _filter = message.Filter ?? RecordFilter.All;
                break;
            case ControlCommand.StatusRequest:
                break;
        }
        CommandReceived?.Invoke(message);
        if (message.Command == ControlCommand.Stop) _stop.Cancel();
    }
}
