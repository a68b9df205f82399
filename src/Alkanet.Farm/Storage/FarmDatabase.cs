using Npgsql;

namespace Alkanet.Farm.Storage;

/// <summary>The farm's PostgreSQL database: one data source (pooled connections) and its schema, brought up to
/// date by <see cref="Migrate"/> (each migration once, in order, under an advisory lock so that a service and
/// workers starting together do not race).</summary>
public sealed class FarmDatabase : IDisposable
{
    public FarmDatabase(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        // a stopped database must not hang a worker or the service: fail fast and retry at our level
        if (!connectionString.Contains("Timeout", StringComparison.OrdinalIgnoreCase)) builder.Timeout = 5;
        ConnectionString = builder.ConnectionString;
        DataSource = NpgsqlDataSource.Create(builder);
    }

    public string ConnectionString { get; }

    public NpgsqlDataSource DataSource { get; }

    public NpgsqlConnection Open() => DataSource.OpenConnection();

    /// <summary>Applies every migration the database lacks; returns how many ran.</summary>
    public int Migrate()
    {
        using var c = Open();
        using (var lk = new NpgsqlCommand("SELECT pg_advisory_lock(7316001)", c)) lk.ExecuteNonQuery();
        try
        {
            using (var create = new NpgsqlCommand(
                       "CREATE TABLE IF NOT EXISTS schema_migrations(version int PRIMARY KEY, name text NOT NULL, " +
                       "applied timestamptz NOT NULL DEFAULT now())", c))
                create.ExecuteNonQuery();
            var applied = new HashSet<int>();
            using (var q = new NpgsqlCommand("SELECT version FROM schema_migrations", c))
            using (var r = q.ExecuteReader())
                while (r.Read()) applied.Add(r.GetInt32(0));
            var ran = 0;
            foreach (var m in FarmMigrations.All)
            {
                if (applied.Contains(m.Version)) continue;
                using var tx = c.BeginTransaction();
                using (var cmd = new NpgsqlCommand(m.Sql, c, tx)) cmd.ExecuteNonQuery();
                using (var mark = new NpgsqlCommand("INSERT INTO schema_migrations(version, name) VALUES($1, $2)", c, tx))
                {
                    mark.Parameters.AddWithValue(m.Version);
                    mark.Parameters.AddWithValue(m.Name);
                    mark.ExecuteNonQuery();
                }
                tx.Commit();
                ran++;
            }
            return ran;
        }
        finally
        {
            using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock(7316001)", c);
            unlock.ExecuteNonQuery();
        }
    }

    public void Dispose() => DataSource.Dispose();
}
