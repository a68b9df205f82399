using System.Net;
using System.Net.Sockets;

namespace Alkanet.Farm.Tests.Servers;

internal static class FreePort
{
    // Below the kernel's ephemeral range (net.ipv4.ip_local_port_range, 32768-60999 by default): a port the OS hands
    // out (bind 0) can be taken again as the local end of any outgoing connection (the tests' many PostgreSQL and
    // RabbitMQ clients) before the server binds it, which failed a CI run with "address already in use".
    private const int First = 20000, Last = 32767;
    private static int s_next = First + Random.Shared.Next(Last - First);
    private static readonly Lock Gate = new();

    /// <summary>A loopback port outside the ephemeral range that nothing listens on right now, never handed out twice
    /// by this process.</summary>
    public static int Next()
    {
        lock (Gate)
        {
            for (var tries = 0; tries < Last - First; tries++)
            {
                var port = s_next;
                s_next = s_next == Last ? First : s_next + 1;
                try
                {
                    var l = new TcpListener(IPAddress.Loopback, port);
                    l.Start();
                    l.Stop();
                    return port;
                }
                catch (SocketException)
                {
                    // in use: try the next one
                }
            }
        }
        throw new InvalidOperationException($"no free loopback port in {First}-{Last}");
    }
}
