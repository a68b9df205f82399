using Alkanet.Logging.Wire;

namespace Alkanet.Logging.Client;

/// <summary>What the tracer side does when its buffer of unacknowledged records is full.</summary>
public enum BufferFullPolicy
{
    /// <summary><see cref="LoggerClient.Write"/> blocks until the logger acknowledges records (slows the tracing loop).</summary>
    BackPressure,

    /// <summary>Records that do not fit are dropped and replaced by one explicit LOSS marker covering their range.</summary>
    LossMarker,
}

/// <summary>How a tracer connects to a logger (see docs/LOGGING.md).</summary>
public sealed record LoggerClientOptions
{
    /// <summary>The logger's TCP endpoint, "HOST:PORT".</summary>
    public required string Endpoint { get; init; }

    /// <summary>The shared token the logger was started with.</summary>
    public required string Token { get; init; }

    /// <summary>The run's id (letters, digits, '.', '_', '-'); reconnects with the same id continue the same run.
    /// Checked when set: a bad one (<c>../../etc</c>) is an <see cref="ArgumentException"/> saying what a run id may hold.</summary>
    public required string RunId
    {
        get => _runId;
        init => _runId = HelloMessage.RunIdProblem(value) is { } problem ? throw new ArgumentException(problem) : value;
    }

    private readonly string _runId = "";

    /// <summary>Unacknowledged records kept for resending; when full, <see cref="OnFull"/> applies.</summary>
    public int BufferCapacity { get; init; } = 1 << 18;

    public BufferFullPolicy OnFull { get; init; } = BufferFullPolicy.BackPressure;

    /// <summary>Compressions offered; the logger picks one.</summary>
    public WireCompression Compression { get; init; } = WireCompression.Brotli;

    /// <summary>Records per batch frame.</summary>
    public int BatchRecords { get; init; } = 8192;

    /// <summary>A partly filled batch is sent after this long, so a slow trace still shows up promptly.</summary>
    public TimeSpan Linger { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Reconnect backoff: first delay, doubled per failure up to <see cref="MaxBackoff"/> (with jitter).</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long <see cref="LoggerClient.Dispose"/> waits for the logger to acknowledge the tail.</summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>When true the tracer is told to wait for a Start command (<see cref="TracerControl.State"/> starts as Waiting).</summary>
    public bool WaitForStart { get; init; }

    /// <summary>Name reported to the logger (shown on the page).</summary>
    public string ClientName { get; init; } = Environment.MachineName;

    public static (string Host, int Port) ParseEndpoint(string endpoint)
    {
        var colon = endpoint.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(endpoint.AsSpan(colon + 1), out var port) || port is < 1 or > 65535)
            throw new ArgumentException($"endpoint '{endpoint}' is not HOST:PORT", nameof(endpoint));
        var host = endpoint[..colon].Trim('[', ']');
        return (host, port);
    }
}
