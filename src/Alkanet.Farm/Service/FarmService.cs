using Alkanet.Farm.Queue;
using Alkanet.Farm.Storage;
using Microsoft.Extensions.Hosting;
using RabbitMQ.Client;
using Microsoft.Extensions.Logging;

namespace Alkanet.Farm.Service;

/// <summary>The service's farm side: the database (migrated on start), the task stores and the broker (queues
/// declared on start). It also reads the dead-letter queue: a task the broker gave up on is marked failed with
/// every attempt's reason, so no task stays "queued" or "running" forever.</summary>
public sealed class FarmService : BackgroundService
{
    private readonly ILogger _log;

    public FarmService(FarmServiceOptions options, ILogger<FarmService> log)
    {
        Options = options;
        _log = log;
        Database = new FarmDatabase(options.DatabaseConnectionString);
        Tasks = new TaskStore(Database);
        Attempts = new AttemptStore(Database);
        Broker = new Broker(options.BrokerUri, "alkanet-serve");
    }

    public FarmServiceOptions Options { get; }

    public FarmDatabase Database { get; }

    public TaskStore Tasks { get; }

    public AttemptStore Attempts { get; }

    public Broker Broker { get; }

    /// <summary>Brings the schema up to date and declares the queues; called before the host starts listening.</summary>
    public void Prepare(CancellationToken cancel)
    {
        var ran = Database.Migrate();
        if (ran > 0) _log.LogInformation("database: {Count} migration(s) applied", ran);
        Broker.DeclareAsync(Options.Kinds, cancel).GetAwaiter().GetResult();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var ch = await Broker.ChannelAsync(false, stoppingToken).ConfigureAwait(false);
                while (!stoppingToken.IsCancellationRequested)
                {
                    BasicGetResult? got = null;
                    foreach (var kind in Options.Kinds)
                    {
                        got = await ch.BasicGetAsync(TaskQueues.DeadLetter(kind), autoAck: false, stoppingToken).ConfigureAwait(false);
                        if (got is not null) break;
                    }
                    if (got is null)
                    {
                        await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(false);
                        continue;
                    }
                    var message = System.Text.Json.JsonSerializer.Deserialize<TaskMessage>(got.Body.Span, FarmJson.Options);
                    if (message is { Task: > 0 })
                    {
                        Attempts.DeadLettered(message.Task, "dead-lettered by the broker (rejected for good or over its delivery limit)");
                        _log.LogWarning("task {Task} was dead-lettered; marked failed unless it had ended", message.Task);
                    }
                    await ch.BasicAckAsync(got.DeliveryTag, false, stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (Broker.IsBrokerFailure(ex) || ex is Npgsql.NpgsqlException or System.Text.Json.JsonException)
            {
                _log.LogWarning("dead-letter reader: {Error}; retrying", ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken).ConfigureAwait(false);
            }
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        Broker.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Database.Dispose();
    }
}
