namespace Alkanet.Cli.Commands;

/// <summary>Parsing shared by <c>alkanet serve</c> and <c>alkanet worker</c>.</summary>
internal static class FarmCommandOptions
{
    public static string Database(string? given)
    {
        var cs = given ?? Environment.GetEnvironmentVariable("ALKANET_DATABASE");
        if (string.IsNullOrWhiteSpace(cs)) throw new UsageException("--database (or ALKANET_DATABASE): the PostgreSQL connection string is needed");
        try
        {
            _ = new Npgsql.NpgsqlConnectionStringBuilder(cs);
        }
        catch (ArgumentException ex)
        {
            throw new UsageException($"--database: {ex.Message}");
        }
        return cs;
    }

    public static string BrokerUri(string uri)
    {
        if (!Uri.TryCreate(uri, UriKind.Absolute, out var u) || u.Scheme is not ("amqp" or "amqps"))
            throw new UsageException($"--broker: '{uri}' is not an amqp:// URI");
        return uri;
    }
}
