using System.Net;
using Microsoft.Extensions.Logging;

namespace Alkanet.Logging.Server;

/// <summary>
/// Throttles token guessing per source address, on the tracer port and the page's API alike. A source may get the
/// token wrong <see cref="FreeFailures"/> times; after that its token checks are refused unchecked for a lockout that
/// starts at <see cref="FirstLockout"/> and doubles per further failure up to <see cref="MaxLockout"/> (so 1,600 guesses
/// cost hours instead of seconds). A right token resets the source. Failures go to a bounded log of their own
/// (<see cref="Failures"/>, the page's <c>/api/auth-failures</c>), never into the run events, so guessing cannot flush
/// the real events out. Lockouts run on the monotonic clock: a wall clock stepped back cannot stretch one.
/// </summary>
public sealed class TokenGuard(ILogger log, TimeProvider? clock = null)
{
    public const int FreeFailures = 5;
    public const int MaxLoggedFailures = 100;
    private const int MaxSources = 10_000;
    public static readonly TimeSpan FirstLockout = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxLockout = TimeSpan.FromSeconds(60);

    /// <summary>A source that stayed quiet this long starts again with its free failures.</summary>
    public static readonly TimeSpan Forget = TimeSpan.FromMinutes(10);

    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly Dictionary<IPAddress, SourceState> _sources = [];
    private readonly Queue<AuthFailure> _failures = new();
    private long _totalFailures;
    private long _totalThrottled;

    private sealed class SourceState
    {
        public int Consecutive;
        public long LastFailure;
        public long LockedUntil;
    }

    public long TotalFailures => Interlocked.Read(ref _totalFailures);

    /// <summary>Attempts refused without a check because their source was locked out.</summary>
    public long TotalThrottled => Interlocked.Read(ref _totalThrottled);

    /// <summary>The latest wrong tokens (at most <see cref="MaxLoggedFailures"/>), oldest first.</summary>
    public IReadOnlyList<AuthFailure> Failures
    {
        get { lock (_sources) return [.. _failures]; }
    }

    /// <summary>True when <paramref name="source"/> is locked out: refuse it without checking its token.</summary>
    public bool Throttled(IPAddress source, out TimeSpan retryAfter)
    {
        var now = _clock.GetTimestamp();
        lock (_sources)
        {
            if (_sources.TryGetValue(source, out var s) && s.LockedUntil > now)
            {
                retryAfter = _clock.GetElapsedTime(now, s.LockedUntil);
                _totalThrottled++;
                return true;
            }
        }
        retryAfter = TimeSpan.Zero;
        return false;
    }

    public void Failed(IPAddress source, string where, string? detail)
    {
        var now = _clock.GetTimestamp();
        lock (_sources)
        {
            _totalFailures++;
            if (!_sources.TryGetValue(source, out var s))
            {
                if (_sources.Count >= MaxSources) Prune(now);
                _sources[source] = s = new SourceState();
            }
            if (s.Consecutive > 0 && _clock.GetElapsedTime(s.LastFailure, now) > Forget) s.Consecutive = 0;
            s.Consecutive++;
            s.LastFailure = now;
            DateTimeOffset? locked = null;
            if (s.Consecutive >= FreeFailures)
            {
                var doublings = Math.Min(s.Consecutive - FreeFailures, 16);
                var lockout = TimeSpan.FromTicks(Math.Min(MaxLockout.Ticks, FirstLockout.Ticks << doublings));
                s.LockedUntil = now + (long)(lockout.TotalSeconds * _clock.TimestampFrequency);
                locked = _clock.GetUtcNow() + lockout;
                log.LogWarning("{Count} wrong tokens in a row from {Source} ({Where}); its token checks are refused for {Seconds:0.#} s",
                    s.Consecutive, source, where, lockout.TotalSeconds);
            }
            else if (s.Consecutive == 1)
            {
                log.LogWarning("wrong token from {Source} ({Where})", source, where);
            }
            _failures.Enqueue(new AuthFailure(_clock.GetUtcNow(), source.ToString(), where, detail, s.Consecutive, locked));
            while (_failures.Count > MaxLoggedFailures) _failures.Dequeue();
        }
    }

    public void Succeeded(IPAddress source)
    {
        lock (_sources) _sources.Remove(source);
    }

    private void Prune(long now)
    {
        foreach (var (address, s) in _sources.ToList())
            if (s.LockedUntil <= now && _clock.GetElapsedTime(s.LastFailure, now) > Forget) _sources.Remove(address);
        if (_sources.Count < MaxSources) return;
        foreach (var (address, s) in _sources.ToList())
            if (s.LockedUntil <= now) _sources.Remove(address);
    }
}

/// <summary>One wrong token: when, from where, on which port, its run id or path, and the source's failures in a row.</summary>
public sealed record AuthFailure(DateTimeOffset At, string Source, string Where, string? Detail, int Consecutive, DateTimeOffset? LockedUntil);
