using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Alkanet.Vmm.Tests.Gdb.Live;

/// <summary>
/// A loopback TCP relay between a gdb client and a real gdbstub that records every packet the client sends
/// (the payload between '$' and '#'), so a test running <c>alkanet trace</c> in-process sees the whole wire
/// (handshake included), not only what a decoder factory could observe. One connection; bytes pass unchanged.
/// </summary>
internal sealed class RspTapProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<string> _packets = [];
    private readonly Thread _thread;
    private readonly int _targetPort;
    private volatile bool _disposed;
    private TcpClient? _client, _server;

    public RspTapProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        _thread = new Thread(Serve) { IsBackground = true, Name = "rsp-tap" };
        _thread.Start();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>The packets the client sent so far, in order.</summary>
    public IReadOnlyList<string> Packets { get { lock (_packets) return [.. _packets]; } }

    private void Serve()
    {
        try
        {
            _client = _listener.AcceptTcpClient();
            _server = new TcpClient("127.0.0.1", _targetPort);
            // Nagle plus delayed ACKs would hold each small packet ~40 ms in the relay: a hit is several round trips.
            _client.NoDelay = true;
            _server.NoDelay = true;
            var back = new Thread(() => Pump(_server.GetStream(), _client.GetStream(), null)) { IsBackground = true };
            back.Start();
            Pump(_client.GetStream(), _server.GetStream(), new StringBuilder());
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException) { }
    }

    private void Pump(Stream from, Stream to, StringBuilder? packet)
    {
        var buffer = new byte[8192];
        var inPacket = false;
        try
        {
            int n;
            while ((n = from.Read(buffer)) > 0)
            {
                if (packet is not null)
                {
                    for (var i = 0; i < n; i++)
                    {
                        var c = (char)buffer[i];
                        if (!inPacket) { if (c == '$') { inPacket = true; packet.Clear(); } continue; }
                        if (c == '#') { inPacket = false; lock (_packets) _packets.Add(packet.ToString()); continue; }
                        packet.Append(c);
                    }
                }
                to.Write(buffer, 0, n);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException) { }
        finally
        {
            try { to.Close(); } catch (IOException) { }
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _listener.Stop();
        _client?.Dispose();
        _server?.Dispose();
    }
}
