using System.Net;
using System.Net.Sockets;
using Alkanet.Vmm.Gdb;

namespace Alkanet.Vmm.Tests.Gdb;

/// <summary>A stub that answers with random bytes (sometimes well framed) must only ever produce protocol or
/// connection errors, within the deadline: never another exception, never a hang.</summary>
public sealed class GdbClientFuzzTests
{
    private static int RandomStub(int seed, out Task served)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        served = Task.Run(() =>
        {
            var random = new Random(seed);
            using var socket = listener.AcceptSocket();
            listener.Stop();
            var buffer = new byte[4096];
            try
            {
                while (socket.Receive(buffer) > 0)
                {
                    var body = new byte[random.Next(0, 300)];
                    random.NextBytes(body);
                    if (random.Next(3) == 0)
                    {
                        // A well-framed packet with a random body: the framing passes, the content must be judged.
                        for (var i = 0; i < body.Length; i++) if (body[i] is (byte)'$' or (byte)'#') body[i] = (byte)'0';
                        var sum = RspCodec.Checksum(body);
                        socket.Send([(byte)'+', (byte)'$', .. body, (byte)'#', (byte)"0123456789abcdef"[sum >> 4], (byte)"0123456789abcdef"[sum & 15]]);
                    }
                    else socket.Send(body);
                }
            }
            catch (SocketException) { }
        });
        return port;
    }

    [Fact]
    public async Task Random_replies_give_protocol_errors_only()
    {
        for (var seed = 0; seed < 40; seed++)
        {
            var port = RandomStub(seed, out var served);
            try
            {
                using var client = GdbClient.Connect("127.0.0.1", port, new GdbClientOptions { Timeout = TimeSpan.FromMilliseconds(200) });
                var t = new GdbThreadId(1, 1);
                client.ReadRegisters(t);
                client.ReadMemory(t, 0xffffffff81000000, new byte[64]);
                client.ListThreads();
            }
            catch (GdbProtocolException)
            {
                // expected: the framing or the content was judged bad, or the stub went quiet
            }
            await served.WaitAsync(TimeSpan.FromSeconds(10));
        }
    }
}
