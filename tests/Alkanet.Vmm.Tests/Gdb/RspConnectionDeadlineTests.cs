using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Alkanet.Vmm.Gdb;

namespace Alkanet.Vmm.Tests.Gdb;

/// <summary>A packet already waiting in the socket is read even when the wait for it has run out: the deadline
/// bounds how long to wait, not whether to look. (It once raced: a stop reply arriving as a poll interval ended was
/// reported as "no stop reply within 10 s" under load.)</summary>
public sealed class RspConnectionDeadlineTests
{
    [Fact]
    public void A_stop_reply_already_received_is_returned_with_a_zero_wait()
    {
        using var pair = new LoopbackPair();
        pair.Stub.Send(Packet("T05thread:p01.02;"));
        var waited = 0;
        while (pair.Client.Available == 0 && waited++ < 500) Thread.Sleep(10);
        pair.Client.Available.ShouldBeGreaterThan(0, "the loopback never delivered the packet");

        var packet = pair.Connection.TryReceive(TimeSpan.Zero, "stop reply");

        packet.ShouldNotBeNull();
        Encoding.ASCII.GetString(packet).ShouldBe("T05thread:p01.02;");
    }

    [Fact]
    public void Nothing_waiting_and_a_zero_wait_returns_null()
    {
        using var pair = new LoopbackPair();

        pair.Connection.TryReceive(TimeSpan.Zero, "stop reply").ShouldBeNull();
    }

    private static byte[] Packet(string body) => Encoding.ASCII.GetBytes(
        "$" + body + "#" + (Encoding.ASCII.GetBytes(body).Sum(b => b) & 0xff).ToString("x2", CultureInfo.InvariantCulture));

    /// <summary>A real loopback TCP connection: the test plays the stub on one end.</summary>
    private sealed class LoopbackPair : IDisposable
    {
        private readonly Socket _listener = new(SocketType.Stream, ProtocolType.Tcp);

        public LoopbackPair()
        {
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(1);
            Client = new Socket(SocketType.Stream, ProtocolType.Tcp);
            Client.Connect(_listener.LocalEndPoint!);
            Stub = _listener.Accept();
            Connection = new RspConnection(Client, TimeSpan.FromSeconds(5));
        }

        public Socket Client { get; }
        public Socket Stub { get; }
        public RspConnection Connection { get; }

        public void Dispose()
        {
            Connection.Dispose();
            Stub.Dispose();
            _listener.Dispose();
        }
    }
}
