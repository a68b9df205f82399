using System.Collections.Concurrent;

namespace Alkanet.Logging.Server;

/// <summary>The runs' sessions, and a short log of connection events (refusals, disconnects) for the page.</summary>
public sealed class SessionRegistry
{
    private readonly ConcurrentDictionary<string, RunSession> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<ConnectionEvent> _events = new();

    public RunSession GetOrAdd(string runId) => _sessions.GetOrAdd(runId, id => new RunSession(id));

    public RunSession? Find(string runId) => _sessions.TryGetValue(runId, out var s) ? s : null;

    public IReadOnlyCollection<RunSession> All => (IReadOnlyCollection<RunSession>)_sessions.Values;

    public IReadOnlyList<ConnectionEvent> Events => _events.ToArray();

    /// <summary>Connections closed before a valid hello (garbage, port scans, a burst of connects): counted here, not
    /// noted as events, so an unauthenticated peer cannot flush the real events out.</summary>
    public long RefusedBeforeHello => Interlocked.Read(ref _refusedBeforeHello);

    private long _refusedBeforeHello;

    internal void CountRefusedBeforeHello() => Interlocked.Increment(ref _refusedBeforeHello);

    internal void Attach(RunSession session, IngestConnection connection)
    {
        IngestConnection? previous;
        lock (session)
        {
            previous = session.Connection;
            session.Connection = connection;
            session.Connections++;
        }
        previous?.Abort("replaced by a new connection for the same run");
    }

    internal void Detach(RunSession session, IngestConnection connection)
    {
        lock (session)
            if (session.Connection == connection) session.Connection = null;
    }

    public void Note(string remote, string? runId, string what)
    {
        _events.Enqueue(new ConnectionEvent(DateTimeOffset.UtcNow, remote, runId, what));
        while (_events.Count > 200) _events.TryDequeue(out _);
    }
}

public sealed record ConnectionEvent(DateTimeOffset At, string Remote, string? RunId, string What);
