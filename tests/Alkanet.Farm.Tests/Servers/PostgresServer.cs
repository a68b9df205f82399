namespace Alkanet.Farm.Tests.Servers;

/// <summary>A throw-away PostgreSQL cluster on a free loopback port: initdb and pg_ctl run as the <c>postgres</c>
/// user (initdb refuses root), the cluster and its socket live in a temporary folder that is removed afterwards.</summary>
public sealed class PostgresServer : IDisposable
{
    private readonly string _bin;
    private readonly string _dir;
    private int _databases;

    public PostgresServer()
    {
        _bin = Directory.GetDirectories("/usr/lib/postgresql").OrderBy(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
                   .Select(d => Path.Combine(d, "bin")).LastOrDefault(d => File.Exists(Path.Combine(d, "initdb")))
               ?? throw new InvalidOperationException("PostgreSQL is not installed: run scripts/setup.sh (scripts/setup.d/60-farm.sh)");
        _dir = Path.Combine(Path.GetTempPath(), $"alkanet-farm-pg-{Environment.ProcessId}-{Guid.NewGuid():N}"[..48]);
        Directory.CreateDirectory(_dir);
        Shell.Run("chown", ["postgres:postgres", _dir]);
        Port = FreePort.Next();
        AsPostgres("initdb", "-D", DataDir, "-U", "alkanet", "--auth=trust", "-E", "UTF8", "--no-sync");
        Start();
    }

    public int Port { get; }

    private string DataDir => Path.Combine(_dir, "data");

    public void Start() => AsPostgres("pg_ctl", "-D", DataDir, "-l", Path.Combine(_dir, "server.log"), "-w", "-t", "120", "start",
        "-o", $"-p {Port} -k {_dir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=32MB");

    /// <summary>Stops the server (fast shutdown: clients are disconnected, committed data stays).</summary>
    public void Stop() => AsPostgres("pg_ctl", "-D", DataDir, "-w", "-t", "120", "-m", "fast", "stop");

    /// <summary>A new empty database on this cluster; its connection string.</summary>
    public string CreateDatabase()
    {
        var name = $"farm{Interlocked.Increment(ref _databases)}";
        AsPostgres("createdb", "-h", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", "alkanet", name);
        return $"Host=127.0.0.1;Port={Port};Username=alkanet;Database={name};Pooling=true";
    }

    private void AsPostgres(string tool, params string[] args) =>
        Shell.Run("runuser", ["-u", "postgres", "--", Path.Combine(_bin, tool), .. args]);

    public void Dispose()
    {
        try
        {
            Stop();
        }
        catch (InvalidOperationException)
        {
            // already stopped
        }
        Directory.Delete(_dir, recursive: true);
    }
}
