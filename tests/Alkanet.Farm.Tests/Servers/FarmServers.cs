namespace Alkanet.Farm.Tests.Servers;

/// <summary>One PostgreSQL cluster and one RabbitMQ node for all the farm's tests (they run one after another: some
/// stop and restart a server). Each test takes a database of its own and a guest kind of its own (so its queues).</summary>
public sealed class FarmServers : IDisposable
{
    private int _kinds;

    public PostgresServer Postgres { get; } = new();

    public RabbitServer Rabbit { get; } = new();

    public string NewKind() => $"k{Interlocked.Increment(ref _kinds)}";

    public void Dispose()
    {
        Rabbit.Dispose();
        Postgres.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class FarmCollection : ICollectionFixture<FarmServers>
{
    public const string Name = "farm servers";
}
