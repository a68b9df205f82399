using System.Collections.Concurrent;
using Alkanet.Logging.Wire;

namespace Alkanet.Logging.Server;

/// <summary>The logger's view of one run's tracer: its current connection (if any) and last status.</summary>
public sealed class RunSession(string runId)
{
    private readonly ConcurrentDictionary<uint, TaskCompletionSource<StatusMessage>> _statusWaits = new();
    private int _nextRequest;

    public string RunId { get; } = runId;

    internal IngestConnection? Connection { get; set; }

    public bool IsConnected => Connection is not null;

    public string? Remote => Connection?.Remote;

    public string? Client => Connection?.ClientName;

    public StatusMessage? LastStatus { get; private set; }

    public DateTimeOffset? LastStatusAt { get; private set; }

    public long Connections { get; internal set; }

    /// <summary>Records the connection's reader has received (before dedup), for the page.</summary>
    public long RecordsReceived;

    internal void OnStatus(StatusMessage status)
    {
        LastStatus = status;
        LastStatusAt = DateTimeOffset.UtcNow;
        if (_statusWaits.TryRemove(status.RequestId, out var wait)) wait.TrySetResult(status);
    }

    /// <summary>Sends a control command to the run's tracer; false when no tracer is connected.</summary>
    public async Task<bool> SendControlAsync(ControlMessage message, CancellationToken cancel = default)
    {
        var c = Connection;
        if (c is null) return false;
        try
        {
            await c.Writer.SendAsync(message.ToFrame(), cancel).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    /// <summary>Asks the tracer for its status; null when not connected or no answer in time.</summary>
    public async Task<StatusMessage?> RequestStatusAsync(TimeSpan timeout, CancellationToken cancel = default)
    {
        var id = (uint)Interlocked.Increment(ref _nextRequest);
        var wait = new TaskCompletionSource<StatusMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        _statusWaits[id] = wait;
        try
        {
            if (!await SendControlAsync(new ControlMessage(ControlCommand.StatusRequest, id), cancel).ConfigureAwait(false)) return null;
            var done = await Task.WhenAny(wait.Task, Task.Delay(timeout, cancel)).ConfigureAwait(false);
            return done == wait.Task ? wait.Task.Result : null;
        }
        finally
        {
            _statusWaits.TryRemove(id, out _);
        }
    }
}
