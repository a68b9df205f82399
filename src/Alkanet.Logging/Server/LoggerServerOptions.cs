using System.Net;
using Alkanet.Logging.Storage;
using Alkanet.Logging.Wire;

namespace Alkanet.Logging.Server;

/// <summary>How <c>alkanet logger</c> runs. Defaults bind loopback only.</summary>
public sealed record LoggerServerOptions
{
    /// <summary>Where tracers connect (port 0 picks a free one; see <see cref="LoggerService.TracerEndpoint"/>).</summary>
    public IPEndPoint Listen { get; init; } = new(IPAddress.Loopback, 7600);

    /// <summary>Where the page and API listen ("127.0.0.1:7601"); null: no web server.</summary>
    public IPEndPoint? Http { get; init; } = new(IPAddress.Loopback, 7601);

    public string DataDirectory { get; init; } = "alkanet-logger-data";

    /// <summary>The shared token tracers and the control API present.</summary>
    public required string Token { get; init; }

    public int MaxFrameBytes { get; init; } = WireLimits.DefaultMaxFrameBytes;

    /// <summary>Compressions this logger accepts (it picks Brotli when offered and allowed).</summary>
    public WireCompression Compression { get; init; } = WireCompression.Brotli;

    /// <summary>fsync each commit (power-loss safe) instead of WAL synchronous=NORMAL (logger-crash safe).</summary>
    public bool SynchronousFull { get; init; }

    /// <summary>Records per storage transaction, at most (several batches are committed together).</summary>
    public int MaxRecordsPerCommit { get; init; } = 16_384;

    /// <summary>Seconds a new connection has to send its hello.</summary>
    public TimeSpan HelloTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a run whose tracer went away without a goodbye stays <c>Live</c> waiting for it to reconnect
    /// before it is marked <c>Interrupted</c> (a reconnect makes it live again).</summary>
    public TimeSpan AbandonedRunTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The tracer port's listen backlog: connections the kernel queues before the accept loop takes them
    /// (Linux caps it at net.core.somaxconn). A short backlog makes a burst of connects stall for SYN retries.</summary>
    public int ListenBacklog { get; init; } = 4096;

    /// <summary>Names the page answers to in its <c>Host</c> header (a defence against DNS rebinding: another site's
    /// name resolving to this address must not read the records). Empty: loopback names, plus the address the page
    /// listens on when that is not a wildcard. "*" allows any host.</summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];

    /// <summary>Shortest token accepted: the token guards who may stream into and control the logger.</summary>
    public const int MinTokenLength = 12;

    /// <summary>Makes the store (tests wrap it, e.g. to throttle it); default: <see cref="SqliteRunStore"/> in <see cref="DataDirectory"/>.</summary>
    public Func<LoggerServerOptions, IRunStore>? StoreFactory { get; init; }

    /// <summary>Makes runs' reports for the page (<c>alkanet logger</c> plugs in the report tool); null: no report view.</summary>
    public IRunReportProvider? ReportProvider { get; init; }
}
