namespace Alkanet.Logging.Wire;

/// <summary>What the logger asks of the tracer. Numbers are the protocol.</summary>
public enum ControlCommand : byte
{
    /// <summary>Begin (or continue) tracing.</summary>
    Start = 1,

    /// <summary>End the run: the tracer stops tracing, flushes and closes.</summary>
    Stop = 2,

    /// <summary>Stop producing records for now (the tracer may pause the VM).</summary>
    Pause = 3,

    /// <summary>Continue after a pause.</summary>
    Resume = 4,

    /// <summary>Replace the record filter (processes by name/pid, calls by name).</summary>
    SetFilter = 5,

    /// <summary>Answer with a status frame carrying the same request id.</summary>
    StatusRequest = 6,
}

/// <summary>The tracer's state as it reports it.</summary>
public enum TracerState : byte
{
    Waiting = 0,
    Running = 1,
    Paused = 2,
    Stopped = 3,
}
