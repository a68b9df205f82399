namespace Alkanet.Logging.Wire;

/// <summary>The kinds of frame on the wire (docs/LOGGING.md, "The wire"). The numbers are the protocol.</summary>
public enum FrameType : byte
{
    /// <summary>tracer → logger, first frame: magic, version, token, run id, compressions offered.</summary>
    Hello = 1,

    /// <summary>logger → tracer: accepted; the chosen compression and the last durable <c>no</c> of the run.</summary>
    Welcome = 2,

    /// <summary>logger → tracer: refused (reason); the logger closes the connection.</summary>
    Reject = 3,

    /// <summary>tracer → logger: a batch of records (contiguous <c>no</c>), maybe compressed.</summary>
    Batch = 4,

    /// <summary>logger → tracer: every record up to and including this <c>no</c> is durable.</summary>
    Ack = 5,

    /// <summary>logger → tracer: a control command (start, stop, pause, resume, filter, status request).</summary>
    Control = 6,

    /// <summary>tracer → logger: status (answer to a status request, or unsolicited).</summary>
    Status = 7,

    /// <summary>tracer → logger: the run is over; nothing follows.</summary>
    Bye = 8,
}
