using System.Net;
using System.Net.Sockets;
using Alkanet.Logging.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Alkanet.Logging.Server;

/// <summary>The logger's core: the store, the single writer, the sessions and the tracer listener.
/// Hosted by <see cref="LoggerHost"/> (with the web page), or started directly by tests.</summary>
public sealed class LoggerService : IHostedService, IDisposable
{
    private readonly LoggerServerOptions _options;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _connections = [];
    private TcpListener? _listener;
    private Task? _acceptLoop;
    private IngestPipeline? _pipeline;

    public LoggerService(LoggerServerOptions options, ILogger<LoggerService>? log = null)
    {
        if (options.Token.Length < LoggerServerOptions.MinTokenLength)
            throw new ArgumentException($"the logger's token must be at least {LoggerServerOptions.MinTokenLength} characters " +
                                        $"(this one has {options.Token.Length}); omit it to have one generated", nameof(options));
        _options = options;
        _log = (ILogger?)log ?? NullLogger.Instance;
        Guard = new TokenGuard(_log);
        Store = options.StoreFactory?.Invoke(options) ?? new SqliteRunStore(options.DataDirectory, options.SynchronousFull);
    }

    public IRunStore Store { get; }

    public SessionRegistry Sessions { get; } = new();

    /// <summary>Wrong tokens per source, and their throttling (tracer port and page alike).</summary>
    public TokenGuard Guard { get; }

    /// <summary>Tracer connections accepted so far.</summary>
    public long ConnectionsAccepted => Interlocked.Read(ref _accepted);

    private long _accepted;

    /// <summary>Storage commits that failed (disk full...); nothing of them was acknowledged.</summary>
    public long FailedCommits => _pipeline?.FailedCommits ?? 0;

    public LoggerServerOptions Options => _options;

    /// <summary>The bound tracer endpoint (the real port when <see cref="LoggerServerOptions.Listen"/> asked for 0).</summary>
    public IPEndPoint TracerEndpoint => (IPEndPoint)(_listener?.LocalEndpoint ?? throw new InvalidOperationException("not started"));

    public long RecordsCommitted => _pipeline?.RecordsCommitted ?? 0;

    public long DuplicatesDropped => _pipeline?.DuplicatesDropped ?? 0;

    /// <summary>Raised after each storage commit with the run ids it touched.</summary>
    public event Action<IReadOnlyCollection<string>>? Committed;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _pipeline = new IngestPipeline(Store, Sessions, _log, _options.MaxRecordsPerCommit);
        _pipeline.Committed += runs => Committed?.Invoke(runs);
        _listener = new TcpListener(_options.Listen);
        _listener.Start(_options.ListenBacklog);
        _log.LogInformation("logger listening for tracers on {Endpoint}", TracerEndpoint);
        _acceptLoop = AcceptLoopAsync();
        _statusLoop = StatusLoopAsync();
        return Task.CompletedTask;
    }

    private Task? _statusLoop;

    /// <summary>Asks every connected tracer for its status every 2 s, so the page shows records/s, buffer use and drops.</summary>
    private async Task StatusLoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2));
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
                foreach (var s in Sessions.All)
                    if (s.IsConnected) _ = s.RequestStatusAsync(TimeSpan.FromSeconds(2), _stopping.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient tcp;
            try
            {
                tcp = await _listener!.AcceptTcpClientAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stopping.IsCancellationRequested) return;
                _log.LogWarning("accept failed: {Error}", ex.Message);
                continue;
            }
            Interlocked.Increment(ref _accepted);
            var connection = new IngestConnection(tcp, _options, Store, _pipeline!, Sessions, Guard, _log);
            var task = Task.Run(() => connection.RunAsync(_stopping.Token));
            lock (_connections)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(task);
            }
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stopping.IsCancellationRequested) return;
        _stopping.Cancel();
        _listener?.Stop();
        foreach (var s in Sessions.All) s.Connection?.Abort("logger stopping");
        Task[] tasks;
        lock (_connections) tasks = [.. _connections];
        if (_acceptLoop is not null) tasks = [.. tasks, _acceptLoop];
        if (_statusLoop is not null) tasks = [.. tasks, _statusLoop];
        await Task.WhenAny(Task.WhenAll(tasks), Task.Delay(TimeSpan.FromSeconds(5), cancellationToken)).ConfigureAwait(false);
        _pipeline?.Dispose();
    }

    public void Dispose()
    {
        StopAsync(CancellationToken.None).GetAwaiter().GetResult();
        Store.Dispose();
    }
}
