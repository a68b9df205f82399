using System.Text.Json;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Alkanet.Farm.Queue;

/// <summary>
/// One connection to RabbitMQ, re-opened on demand after the broker went away (no automatic recovery: a recovered
/// channel would carry delivery tags of deliveries the broker has already returned to the queue, and acknowledging
/// those is a channel error; instead every user opens a fresh channel after a failure). Declares the topology.
/// </summary>
public sealed class Broker(string uri, string clientName) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IConnection? _connection;

    public string Uri { get; } = uri;

    public static bool IsBrokerFailure(Exception ex) =>
        ex is BrokerUnreachableException or AlreadyClosedException or OperationInterruptedException or IOException
            or System.Net.Sockets.SocketException or RabbitMQClientException or TimeoutException;

    public async Task<IConnection> ConnectionAsync(CancellationToken cancel)
    {
        await _gate.WaitAsync(cancel).ConfigureAwait(false);
        try
        {
            if (_connection is { IsOpen: true }) return _connection;
            if (_connection is not null) await DisposeQuietly(_connection).ConfigureAwait(false);
            _connection = null;
            var factory = new ConnectionFactory
            {
                Uri = new Uri(Uri), AutomaticRecoveryEnabled = false, TopologyRecoveryEnabled = false,
                RequestedHeartbeat = TimeSpan.FromSeconds(10), RequestedConnectionTimeout = TimeSpan.FromSeconds(5),
                ClientProvidedName = clientName,
            };
            _connection = await factory.CreateConnectionAsync(clientName, cancel).ConfigureAwait(false);
            return _connection;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A channel; with <paramref name="confirms"/>, each publish waits for the broker's confirm (and throws on a nack or a
    /// return).</summary>
    public async Task<IChannel> ChannelAsync(bool confirms, CancellationToken cancel)
    {
        var c = await ConnectionAsync(cancel).ConfigureAwait(false);
        var options = new CreateChannelOptions(publisherConfirmationsEnabled: confirms, publisherConfirmationTrackingEnabled: confirms);
        return await c.CreateChannelAsync(options, cancel).ConfigureAwait(false);
    }

    /// <summary>Declares every priority queue and the dead-letter queue of the kinds (idempotent).</summary>
    public async Task DeclareAsync(IEnumerable<string> kinds, CancellationToken cancel)
    {
        await using var ch = await ChannelAsync(false, cancel).ConfigureAwait(false);
        foreach (var kind in kinds)
        {
            await ch.QueueDeclareAsync(TaskQueues.DeadLetter(kind), durable: true, exclusive: false, autoDelete: false,
                arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" }, cancellationToken: cancel).ConfigureAwait(false);
            for (var p = 0; p <= TaskQueues.MaxPriority; p++)
                await ch.QueueDeclareAsync(TaskQueues.Name(kind, p), durable: true, exclusive: false, autoDelete: false,
                    arguments: TaskQueues.Arguments(kind), cancellationToken: cancel).ConfigureAwait(false);
        }
    }

    /// <summary>Publishes a task persistently and returns once the broker confirmed it (throws otherwise).</summary>
    public async Task PublishAsync(TaskMessage message, CancellationToken cancel)
    {
        await using var ch = await ChannelAsync(true, cancel).ConfigureAwait(false);
        var props = new BasicProperties
        {
            Persistent = true, MessageId = message.Task.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ContentType = "application/json",
        };
        var body = JsonSerializer.SerializeToUtf8Bytes(message, FarmJson.Options);
        await ch.BasicPublishAsync("", TaskQueues.Name(message.Kind, message.Priority), mandatory: true, props, body, cancel).ConfigureAwait(false);
    }

    private static async Task DisposeQuietly(IConnection c)
    {
        try
        {
            await c.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (IsBrokerFailure(ex) || ex is ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            try
            {
                await _connection.CloseAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsBrokerFailure(ex) || ex is ObjectDisposedException)
            {
            }
            await DisposeQuietly(_connection).ConfigureAwait(false);
        }
        _gate.Dispose();
    }
}
