using System.Diagnostics;
using System.Globalization;

namespace Alkanet.Farm.Tests.Servers;

/// <summary>A RabbitMQ node of its own: node name, AMQP, distribution and epmd ports, data, config, cookie and logs
/// in a temporary folder (RABBITMQ_* environment), started with Debian's rabbitmq-server and stopped with rabbitmqctl.
/// Its queues are durable, so <see cref="Restart"/> keeps them.</summary>
public sealed class RabbitServer : IDisposable
{
    private const string Sbin = "/usr/lib/rabbitmq/bin";
    private readonly string _dir;
    private readonly Dictionary<string, string> _env;
    private Process? _process;

    public RabbitServer()
    {
        if (!File.Exists(Path.Combine(Sbin, "rabbitmq-server")))
            throw new InvalidOperationException("RabbitMQ is not installed: run scripts/setup.sh (scripts/setup.d/60-farm.sh)");
        _dir = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(),
            $"alkanet-farm-rmq-{Environment.ProcessId}-{Guid.NewGuid():N}"[..49])).FullName;
        Port = FreePort.Next();
        var dist = FreePort.Next();
        EpmdPort = FreePort.Next();
        Node = $"alkanet{Environment.ProcessId}x{Port}@localhost";
        File.WriteAllText(Path.Combine(_dir, "rabbitmq.conf"), $"""
            listeners.tcp.1 = 127.0.0.1:{Port}
            loopback_users = none
            consumer_timeout = 3600000
            log.console = false
            log.file.level = info
            """);
        File.WriteAllText(Path.Combine(_dir, "enabled_plugins"), "[].");
        _env = new Dictionary<string, string>
        {
            ["HOME"] = _dir, ["RABBITMQ_NODENAME"] = Node, ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_NODE_PORT"] = Port.ToString(CultureInfo.InvariantCulture),
            ["RABBITMQ_DIST_PORT"] = dist.ToString(CultureInfo.InvariantCulture),
            ["ERL_EPMD_PORT"] = EpmdPort.ToString(CultureInfo.InvariantCulture), ["RABBITMQ_MNESIA_BASE"] = Path.Combine(_dir, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(_dir, "log"), ["RABBITMQ_CONFIG_FILE"] = Path.Combine(_dir, "rabbitmq.conf"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(_dir, "enabled_plugins"), ["RABBITMQ_PID_FILE"] = PidFile,
        };
        Start();
    }

    public int Port { get; }

    public int EpmdPort { get; }

    public string Node { get; }

    public string Uri => $"amqp://guest:guest@127.0.0.1:{Port}/";

    private string PidFile => Path.Combine(_dir, "rabbitmq.pid");

    public void Start()
    {
        var psi = new ProcessStartInfo(Path.Combine(Sbin, "rabbitmq-server")) { UseShellExecute = false, RedirectStandardOutput = true,
            RedirectStandardError = true };
        foreach (var (k, v) in _env) psi.Environment[k] = v;
        _process = Process.Start(psi) ?? throw new InvalidOperationException("could not start rabbitmq-server");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Ctl("wait", PidFile, "--timeout", "180");
    }

    public void Stop()
    {
        Ctl("stop", PidFile);
        _process?.WaitForExit(60_000);
        _process?.Dispose();
        _process = null;
    }

    public void Restart()
    {
        Stop();
        Start();
    }

    /// <summary>Messages ready in a queue, as the broker answers a passive declare (list_queues' counts lag behind).</summary>
    public long Ready(string queue)
    {
        var factory = new RabbitMQ.Client.ConnectionFactory { Uri = new System.Uri(Uri) };
        using var c = factory.CreateConnectionAsync().GetAwaiter().GetResult();
        using var ch = c.CreateChannelAsync().GetAwaiter().GetResult();
        return ch.QueueDeclarePassiveAsync(queue).GetAwaiter().GetResult().MessageCount;
    }

    private string Ctl(params string[] args) => Shell.Run(Path.Combine(Sbin, "rabbitmqctl"), ["-n", Node, .. args], _env, TimeSpan.FromMinutes(4));

    public void Dispose()
    {
        try
        {
            if (_process is not null) Stop();
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            _process?.Kill(entireProcessTree: true);
        }
        try
        {
            Shell.Run("epmd", ["-port", EpmdPort.ToString(CultureInfo.InvariantCulture), "-kill"]);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
        }
        Directory.Delete(_dir, recursive: true);
    }
}
