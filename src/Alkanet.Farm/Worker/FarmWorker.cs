using System.Collections.Concurrent;
using System.Text.Json;
using Alkanet.Farm.Queue;
using Alkanet.Farm.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;
using RabbitMQ.Client;

namespace Alkanet.Farm.Worker;

/// <summary>
/// An analysis host's worker: <see cref="WorkerOptions.Slots"/> slots, each a thread that takes one task at a time
/// from the kind's queues (most urgent first; so a worker never holds more unacknowledged tasks than it has free
/// slots, and a busy host leaves queued tasks to idle ones), runs it as a child process (<see cref="TaskRun"/>),
/// hands in the results and only then acknowledges the message. A heartbeat every few seconds shows the worker and
/// what it runs on the page and lets other workers tell a dead one from a busy one. <see cref="Drain"/> (SIGTERM)
/// stops taking tasks and lets the running ones finish.
/// </summary>
public sealed class FarmWorker : IDisposable
{
    private readonly WorkerOptions _options;
    private readonly ILogger _log;
    private readonly FarmDatabase _db;
    private readonly AttemptStore _attempts;
    private readonly TaskStore _tasks;
    private readonly Broker _broker;
    private readonly CancellationTokenSource _draining = new();
    private readonly CancellationTokenSource _hardStop = new();
    private readonly ConcurrentDictionary<long, (int Slot, int Attempt, TaskRun Run, DateTimeOffset Since)> _running = new();
    private readonly List<Thread> _threads = [];
    private long _completed;

    public FarmWorker(WorkerOptions options, ILogger log)
    {
        _options = options;
        _log = log;
        _db = new FarmDatabase(options.DatabaseConnectionString);
        _attempts = new AttemptStore(_db);
        _tasks = new TaskStore(_db);
        _broker = new Broker(options.BrokerUri, "alkanet-worker " + options.Name);
    }

    public string Name => _options.Name;

    /// <summary>Attempts this worker finished (stored and acknowledged) so far.</summary>
    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>Migrates the database (a worker may be the first to start), declares the queues, starts the slots.</summary>
    public void Start()
    {
        Retry("prepare the database", () => _db.Migrate());
        Retry("declare the queues", () => _broker.DeclareAsync([_options.Kind], _hardStop.Token).GetAwaiter().GetResult());
        Directory.CreateDirectory(_options.WorkDirectory);
        Heartbeat("running");
        for (var i = 0; i < _options.Slots; i++)
        {
            var slot = i;
            var t = new Thread(() => SlotLoop(slot)) { IsBackground = true, Name = $"alkanet-worker-slot-{slot}" };
            _threads.Add(t);
            t.Start();
        }
        var hb = new Thread(HeartbeatLoop) { IsBackground = true, Name = "alkanet-worker-heartbeat" };
        _threads.Add(hb);
        hb.Start();
        _log.LogInformation("worker {Name}: {Slots} slot(s) for kind {Kind}, broker {Broker}", Name, _options.Slots, _options.Kind,
            _options.BrokerUri);
    }

    /// <summary>Stops taking tasks; running ones finish and are handed in.</summary>
    public void Drain()
    {
        if (_draining.IsCancellationRequested) return;
        _log.LogInformation("worker {Name}: draining ({Running} task(s) running)", Name, _running.Count);
        _draining.Cancel();
    }

    /// <summary>Waits until every slot has stopped (after <see cref="Drain"/>).</summary>
    public void WaitStopped()
    {
        foreach (var t in _threads) t.Join();
        TryHeartbeat("stopped");
        _log.LogInformation("worker {Name}: stopped after {Completed} task(s)", Name, Completed);
    }

    private void SlotLoop(int slot)
    {
        IChannel? channel = null;
        while (!_draining.IsCancellationRequested)
        {
            try
            {
                channel ??= _broker.ChannelAsync(false, _hardStop.Token).GetAwaiter().GetResult();
                BasicGetResult? got = null;
                foreach (var queue in TaskQueues.ByUrgency(_options.Kind))
                {
                    got = channel.BasicGetAsync(queue, autoAck: false, _hardStop.Token).GetAwaiter().GetResult();
                    if (got is not null) break;
                }
                if (got is null)
                {
                    _draining.Token.WaitHandle.WaitOne(_options.PollInterval);
                    continue;
                }
                if (_draining.IsCancellationRequested)
                {
                    // the drain began while this slot asked: the task goes back for another host, untouched
                    Settle(channel, got.DeliveryTag, ack: false, requeue: true);
                    break;
                }
                Handle(slot, channel, got);
            }
            catch (Exception ex) when (Broker.IsBrokerFailure(ex))
            {
                _log.LogWarning("worker {Name} slot {Slot}: broker unavailable ({Error}); retrying", Name, slot, ex.Message);
                Close(channel);
                channel = null;
                _draining.Token.WaitHandle.WaitOne(TimeSpan.FromSeconds(1));
            }
            catch (OperationCanceledException) when (_hardStop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException or JsonException)
            {
                // a bug or a broken environment must not take the slot down: closing the channel returns the
                // delivery to the queue (the attempt, if one began, is recorded lost by the next delivery)
                _log.LogError(ex, "worker {Name} slot {Slot}: the task could not be handled; it goes back to the queue", Name, slot);
                Close(channel);
                channel = null;
                _draining.Token.WaitHandle.WaitOne(TimeSpan.FromSeconds(5));
            }
        }
        Close(channel);
    }

    private void Handle(int slot, IChannel channel, BasicGetResult got)
    {
        TaskMessage? message;
        try
        {
            message = JsonSerializer.Deserialize<TaskMessage>(got.Body.Span, FarmJson.Options);
        }
        catch (JsonException)
        {
            message = null;
        }
        if (message is null || message.Task <= 0)
        {
            _log.LogWarning("worker {Name}: a message that is not a task ({Bytes} bytes) was dead-lettered", Name, got.Body.Length);
            Settle(channel, got.DeliveryTag, ack: false, requeue: false);
            return;
        }
        var taskId = message.Task;
        AttemptStart start;
        while (true)
        {
            start = Retry($"begin task {taskId}", () => _attempts.Begin(taskId, Name, _running.ContainsKey(taskId)));
            if (start.Decision != AttemptDecision.Wait) break;
            // someone alive runs it (a redelivery after a broker restart): hold the delivery until that run ends
            _hardStop.Token.WaitHandle.WaitOne(TimeSpan.FromSeconds(2));
            if (_hardStop.IsCancellationRequested) return;
        }
        switch (start.Decision)
        {
            case AttemptDecision.Skip:
                _log.LogInformation("worker {Name}: task {Task} skipped ({Why})", Name, taskId, start.Why);
                Settle(channel, got.DeliveryTag, ack: true, requeue: false);
                return;
            case AttemptDecision.GiveUp:
                _log.LogWarning("worker {Name}: task {Task} failed after {N} attempts; dead-lettered", Name, taskId, start.Attempt);
                Settle(channel, got.DeliveryTag, ack: false, requeue: false);
                return;
        }
        var task = start.Task!;
        var sample = Retry($"read task {taskId}'s sample", () => _tasks.Blob(Convert.FromHexString(task.SampleSha256)))
                     ?? throw new InvalidOperationException($"task {taskId}: its sample {task.SampleSha256} is not stored");
        var rules = task.YaraSha256 is not { } yara ? null
            : Retry($"read task {taskId}'s YARA rules", () => _tasks.Blob(Convert.FromHexString(yara)))
              ?? throw new InvalidOperationException($"task {taskId}: its YARA rules {yara} are not stored");
        var run = new TaskRun(_options, task, start.Attempt, sample, rules);
        _running[taskId] = (slot, start.Attempt, run, DateTimeOffset.UtcNow);
        _log.LogInformation("worker {Name} slot {Slot}: task {Task} attempt {Attempt} ({Sample}) as run {Run}",
            Name, slot, taskId, start.Attempt, task.SampleName, run.RunId);
        RunOutcome outcome;
        try
        {
            outcome = run.Execute();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            outcome = new RunOutcome(false, "failed", $"the worker could not prepare the run: {ex.Message}", null, []);
        }
        finally
        {
            _running.TryRemove(taskId, out _);
        }
        if (outcome.Succeeded)
        {
            Retry($"store task {taskId}'s results", () => _attempts.Complete(taskId, start.Attempt, outcome.Artifacts));
            Interlocked.Increment(ref _completed);
            run.Cleanup();
            _log.LogInformation("worker {Name}: task {Task} attempt {Attempt} done ({Artifacts} artifacts)", Name, taskId, start.Attempt,
                outcome.Artifacts.Count);
            Settle(channel, got.DeliveryTag, ack: true, requeue: false);
            return;
        }
        var final = Retry($"record task {taskId}'s failure", () => _attempts.Fail(taskId, start.Attempt, outcome.State,
            outcome.Reason ?? "failed", outcome.ExitCode));
        _log.LogWarning("worker {Name}: task {Task} attempt {Attempt} {State}: {Reason}{Final}", Name, taskId, start.Attempt, outcome.State,
            outcome.Reason,
            final ? " (no attempts left)" : " (back to the queue)");
        if (outcome.State == "cancelled") Settle(channel, got.DeliveryTag, ack: true, requeue: false);
        else Settle(channel, got.DeliveryTag, ack: false, requeue: !final);
    }

    /// <summary>Acknowledges (results stored), requeues (another attempt) or dead-letters (no attempts left) a delivery.
    /// If the channel died meanwhile the broker has already put the message back; the stored outcome makes that
    /// redelivery a no-op (skipped as ended, or retried as the attempt count says).</summary>
    private void Settle(IChannel channel, ulong tag, bool ack, bool requeue)
    {
        try
        {
            if (ack) channel.BasicAckAsync(tag, false, _hardStop.Token).AsTask().GetAwaiter().GetResult();
            else channel.BasicNackAsync(tag, false, requeue, _hardStop.Token).AsTask().GetAwaiter().GetResult();
        }
        catch (Exception ex) when (Broker.IsBrokerFailure(ex))
        {
            _log.LogWarning("worker {Name}: could not settle a delivery ({Error}); the broker delivers it again", Name, ex.Message);
            throw;
        }
    }

    private void HeartbeatLoop()
    {
        while (!_hardStop.IsCancellationRequested)
        {
            if (_draining.IsCancellationRequested && _running.IsEmpty) return;
            TryHeartbeat(_draining.IsCancellationRequested ? "draining" : "running");
            try
            {
                foreach (var id in _tasks.Cancelled(_running.Keys.ToList()))
                    if (_running.TryGetValue(id, out var r)) r.Run.Kill("cancelled by a user");
            }
            catch (Exception ex) when (IsDatabaseFailure(ex))
            {
            }
            _hardStop.Token.WaitHandle.WaitOne(_options.HeartbeatInterval);
        }
    }

    private void TryHeartbeat(string state)
    {
        try
        {
            Heartbeat(state);
        }
        catch (Exception ex) when (IsDatabaseFailure(ex))
        {
            _log.LogWarning("worker {Name}: heartbeat failed ({Error})", Name, ex.Message);
        }
    }

    private void Heartbeat(string state)
    {
        var running = JsonSerializer.Serialize(_running.Select(kv => new { task = kv.Key, attempt = kv.Value.Attempt, slot = kv.Value.Slot,
            since = kv.Value.Since }),
            FarmJson.Options);
        _attempts.Heartbeat(Name, Environment.MachineName, Environment.ProcessId, _options.Kind, _options.Slots, state, running);
    }

    private static bool IsDatabaseFailure(Exception ex) => ex is NpgsqlException or IOException or TimeoutException;

    /// <summary>Database work retried until it succeeds (the database may be restarting): a result is never dropped.</summary>
    private T Retry<T>(string what, Func<T> action)
    {
        for (var delay = 250; ; delay = Math.Min(delay * 2, 5000))
        {
            try
            {
                return action();
            }
            catch (Exception ex) when (IsDatabaseFailure(ex) || Broker.IsBrokerFailure(ex) && what.StartsWith("declare", StringComparison.Ordinal))
            {
                _log.LogWarning("worker {Name}: could not {What} ({Error}); retrying", Name, what, ex.Message);
                if (_hardStop.Token.WaitHandle.WaitOne(delay)) throw new OperationCanceledException(_hardStop.Token);
            }
        }
    }

    private void Retry(string what, Action action) => Retry(what, () =>
    {
        action();
        return 0;
    });

    private static void Close(IChannel? channel)
    {
        if (channel is null) return;
        try
        {
            channel.Dispose();
        }
        catch (Exception ex) when (Broker.IsBrokerFailure(ex) || ex is ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        _draining.Cancel();
        _hardStop.Cancel();
        foreach (var r in _running.Values) r.Run.Kill("the worker stopped");
        foreach (var t in _threads) t.Join(TimeSpan.FromSeconds(10));
        _broker.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _db.Dispose();
    }
}
