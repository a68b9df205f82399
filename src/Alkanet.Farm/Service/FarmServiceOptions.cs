using Alkanet.Logging.Server;

namespace Alkanet.Farm.Service;

/// <summary>How <c>alkanet serve</c> runs: the logger's options (tracer port, page, token) plus the farm's.</summary>
public sealed record FarmServiceOptions
{
    public required LoggerServerOptions Logger { get; init; }

    public required string DatabaseConnectionString { get; init; }

    public required string BrokerUri { get; init; }

    /// <summary>Guest kinds this farm runs ("linux", or names of Windows images the workers were given).</summary>
    public IReadOnlyList<string> Kinds { get; init; } = ["linux"];

    public long MaxSampleBytes { get; init; } = 64L << 20;

    public int MaxAttempts { get; init; } = 3;

    public int DefaultTimeoutSeconds { get; init; } = 60;

    public int MaxTimeoutSeconds { get; init; } = 3600;
}
