using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Alkanet.Vmm.Qmp;

/// <summary>An error QEMU returned for a command ("error": {"class", "desc"}) or a broken QMP conversation.</summary>
public sealed class QmpException : Exception
{
    public QmpException() : this("QMP error") { }

    public QmpException(string message) : base(message) { }

    public QmpException(string message, Exception inner) : base(message, inner) { }

    public QmpException(string message, string? errorClass) : base(message) => ErrorClass = errorClass;

    /// <summary>QEMU's error class (GenericError, CommandNotFound, ...), null for protocol failures.</summary>
    public string? ErrorClass { get; }
}

/// <summary>An asynchronous QMP event (SHUTDOWN, STOP, RESUME, ...).</summary>
public sealed record QmpEvent(string Name, JsonElement Data, DateTimeOffset Timestamp);

/// <summary>
/// A QEMU Machine Protocol client over a unix socket or TCP: reads the greeting, negotiates capabilities,
/// runs commands matched to their replies by id, and queues the events that arrive in between. Every read
/// has a deadline. Not thread-safe: one owner.
/// </summary>
public sealed class QmpClient : IDisposable
{
    private const int MaxMessageBytes = 16 * 1024 * 1024;

    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private readonly MemoryStream _line = new();
    private readonly Queue<QmpEvent> _events = new();
    private int _pos, _len;
    private long _nextId = 1;
    private bool _closed;

    private QmpClient(Socket socket, TimeSpan timeout)
    {
        _socket = socket;
        Timeout = timeout;
    }

    public TimeSpan Timeout { get; set; }

    /// <summary>QEMU closed the connection (it quit or died).</summary>
    public bool IsClosed => _closed;

    /// <summary>The "QMP" object of the greeting (version, capabilities).</summary>
    public JsonElement Greeting { get; private set; }

    /// <summary>"major.minor.micro" from the greeting.</summary>
    public string QemuVersion { get; private set; } = "";

    /// <summary>Connects to "unix:PATH", "tcp:HOST:PORT", "HOST:PORT" or a socket path, and negotiates capabilities.</summary>
    public static QmpClient Connect(string endpoint, TimeSpan? timeout = null)
    {
        var wait = timeout ?? TimeSpan.FromSeconds(5);
        EndPoint target;
        string what;
        if (endpoint.StartsWith("unix:", StringComparison.Ordinal) || endpoint.Contains('/', StringComparison.Ordinal))
        {
            var path = endpoint.StartsWith("unix:", StringComparison.Ordinal) ? endpoint[5..] : endpoint;
            target = new UnixDomainSocketEndPoint(path);
            what = path;
        }
        else
        {
            var hostPort = endpoint.StartsWith("tcp:", StringComparison.Ordinal) ? endpoint[4..] : endpoint;
            var colon = hostPort.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(hostPort.AsSpan(colon + 1), out var port) || port is <= 0 or > 65535)
                throw new QmpException($"QMP endpoint '{endpoint}' is neither unix:PATH nor HOST:PORT");
            target = new DnsEndPoint(hostPort[..colon], port);
            what = hostPort;
        }
        var socket = target is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using var cts = new CancellationTokenSource(wait);
            socket.ConnectAsync(target, cts.Token).AsTask().GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            throw new QmpException($"cannot connect to QMP at {what}: {(ex is OperationCanceledException ? "timed out" : ex.Message)}", ex);
        }
        var client = new QmpClient(socket, wait);
        try
        {
            client.Negotiate();
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    private void Negotiate()
    {
        using var greeting = ReadMessage("the QMP greeting");
        if (!greeting.RootElement.TryGetProperty("QMP", out var qmp))
            throw new QmpException("the peer did not greet with a QMP object: not a QMP socket?");
        Greeting = qmp.Clone();
        if (qmp.TryGetProperty("version", out var v) && v.TryGetProperty("qemu", out var q))
            QemuVersion = $"{q.GetProperty("major").GetInt32()}.{q.GetProperty("minor").GetInt32()}.{q.GetProperty("micro").GetInt32()}";
        Execute("qmp_capabilities");
    }

    /// <summary>Runs a command and returns its "return" value; events that arrive meanwhile are queued.</summary>
    /// <exception cref="QmpException">QEMU answered with an error, or the conversation broke.</exception>
    public JsonElement Execute(string command, JsonObject? arguments = null)
    {
        var id = _nextId++;
        var request = new JsonObject { ["execute"] = command, ["id"] = id };
        if (arguments is not null) request["arguments"] = arguments.DeepClone();
        Send(request.ToJsonString());
        while (true)
        {
            using var reply = ReadMessage($"the reply to '{command}'");
            var root = reply.RootElement;
            if (root.TryGetProperty("event", out _))
            {
                Enqueue(root);
                continue;
            }
            if (!root.TryGetProperty("id", out var replyId) || replyId.ValueKind != JsonValueKind.Number || replyId.GetInt64() != id)
                throw new QmpException($"QMP reply to '{command}' carries another id: {Abbreviate(root.GetRawText())}");
            if (root.TryGetProperty("error", out var error))
            {
                var cls = error.TryGetProperty("class", out var c) ? c.GetString() : null;
                var desc = error.TryGetProperty("desc", out var d) ? d.GetString() : error.GetRawText();
                throw new QmpException($"QMP '{command}' failed: {desc}", cls);
            }
            if (!root.TryGetProperty("return", out var ret))
                throw new QmpException($"QMP reply to '{command}' has neither return nor error: {Abbreviate(root.GetRawText())}");
            return ret.Clone();
        }
    }

    /// <summary>Runs a human monitor (HMP) command and returns its text output.</summary>
    public string HumanMonitorCommand(string commandLine) =>
        Execute("human-monitor-command", new JsonObject { ["command-line"] = commandLine }).GetString() ?? "";

    /// <summary>"running", "paused", "shutdown", ...</summary>
    public string Status() => Execute("query-status").GetProperty("status").GetString() ?? "";

    public void Stop() => Execute("stop");

    public void Continue() => Execute("cont");

    /// <summary>Asks QEMU to exit; the connection closes right after the reply (or before it).</summary>
    public void Quit()
    {
        try
        {
            Execute("quit");
        }
        catch (QmpException) when (_closed)
        {
            // QEMU may close the socket before its reply is read: that is the quit succeeding.
        }
    }

    /// <summary>Events received so far (and any that are already waiting on the socket), oldest first.</summary>
    public IReadOnlyList<QmpEvent> DrainEvents()
    {
        while (!_closed && (_pos < _len || Readable(TimeSpan.Zero)))
        {
            try
            {
                using var message = ReadMessage("an event");
                if (message.RootElement.TryGetProperty("event", out _)) Enqueue(message.RootElement);
            }
            catch (QmpException) when (_closed)
            {
                break; // QEMU went away (quit, shutdown): the events read before are still worth returning
            }
        }
        var list = _events.ToList();
        _events.Clear();
        return list;
    }

    /// <summary>Waits up to <paramref name="wait"/> for the event named <paramref name="name"/>; events before it are dropped.</summary>
    public QmpEvent? WaitForEvent(string name, TimeSpan wait)
    {
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            while (_events.Count > 0)
            {
                var e = _events.Dequeue();
                if (e.Name == name) return e;
            }
            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero || _closed) return null;
            if (_pos >= _len && !Readable(remaining)) return null;
            try
            {
                using var message = ReadMessage("an event");
                if (message.RootElement.TryGetProperty("event", out _)) Enqueue(message.RootElement);
            }
            catch (QmpException) when (_closed)
            {
                // The connection ended; events already queued are still looked at on the next pass.
            }
        }
    }

    private void Enqueue(JsonElement root)
    {
        var name = root.GetProperty("event").GetString() ?? "";
        var data = root.TryGetProperty("data", out var d) ? d.Clone() : default;
        var ts = DateTimeOffset.UtcNow;
        if (root.TryGetProperty("timestamp", out var t) && t.TryGetProperty("seconds", out var s) && t.TryGetProperty("microseconds", out var us))
            ts = DateTimeOffset.FromUnixTimeSeconds(s.GetInt64()).AddTicks(us.GetInt64() * 10);
        _events.Enqueue(new QmpEvent(name, data, ts));
    }

    private void Send(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json + "\r\n");
        try
        {
            var span = bytes.AsSpan();
            while (!span.IsEmpty)
            {
                if (!_socket.Poll(Micro(Timeout), SelectMode.SelectWrite)) throw new QmpException("QMP socket did not accept a command in time");
                span = span[_socket.Send(span)..];
            }
        }
        catch (SocketException ex)
        {
            _closed = true;
            throw new QmpException($"QMP connection failed: {ex.Message}", ex);
        }
    }

    private JsonDocument ReadMessage(string what)
    {
        var deadline = DateTime.UtcNow + Timeout;
        _line.SetLength(0);
        while (true)
        {
            if (_pos >= _len)
            {
                var remaining = deadline - DateTime.UtcNow;
                if (remaining <= TimeSpan.Zero || !Readable(remaining))
                    throw new QmpException($"QEMU sent no {what} within {Timeout.TotalSeconds:0.###} s");
                try
                {
                    _len = _socket.Receive(_buffer);
                }
                catch (SocketException ex)
                {
                    _closed = true;
                    throw new QmpException($"QMP connection failed while waiting for {what}: {ex.Message}", ex);
                }
                _pos = 0;
                if (_len == 0)
                {
                    _closed = true;
                    throw new QmpException($"QEMU closed the QMP connection while {what} was expected");
                }
            }
            var newline = Array.IndexOf(_buffer, (byte)'\n', _pos, _len - _pos);
            var end = newline < 0 ? _len : newline;
            _line.Write(_buffer, _pos, end - _pos);
            _pos = newline < 0 ? _len : newline + 1;
            if (_line.Length > MaxMessageBytes) throw new QmpException($"QMP message longer than {MaxMessageBytes} bytes");
            if (newline < 0) continue;
            if (_line.Length == 0 || (_line.Length == 1 && _line.GetBuffer()[0] == '\r')) continue;
            try
            {
                var doc = JsonDocument.Parse(_line.GetBuffer().AsMemory(0, (int)_line.Length));
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                {
                    doc.Dispose();
                    throw new QmpException($"QMP message is not a JSON object while {what} was expected");
                }
                return doc;
            }
            catch (JsonException ex)
            {
                throw new QmpException($"QMP sent malformed JSON while {what} was expected: {ex.Message}", ex);
            }
        }
    }

    private bool Readable(TimeSpan wait)
    {
        try
        {
            return _socket.Poll(Micro(wait), SelectMode.SelectRead);
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int Micro(TimeSpan t) => (int)Math.Clamp(t.Ticks / 10, 0, int.MaxValue);

    private static string Abbreviate(string s) => s.Length <= 200 ? s : s[..200] + "...";

    public void Dispose()
    {
        _closed = true;
        try { _socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { }
        _socket.Dispose();
        _line.Dispose();
    }
}
