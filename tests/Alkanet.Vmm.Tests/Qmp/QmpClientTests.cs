using System.Net;
using System.Net.Sockets;
using System.Text;
using Alkanet.Vmm.Qmp;

namespace Alkanet.Vmm.Tests.Qmp;

/// <summary>The QMP client against a scripted peer on loopback TCP (the real QEMU is in <see cref="LiveQmpTests"/>).</summary>
public sealed class QmpClientTests
{
    private const string Greeting = "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 2, \"minor\": 0, \"major\": 10}, \"package\": \"\"}, \"capabilities\": [\"oob\"]}}\r\n";

    /// <summary>Accepts one client and answers each line it reads with the next scripted reply (the ids filled in).</summary>
    private static (int Port, Task<List<string>> Requests) Peer(params string[] replies)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var task = Task.Run(async () =>
        {
            var requests = new List<string>();
            using var socket = await listener.AcceptSocketAsync();
            listener.Stop();
            using var stream = new NetworkStream(socket);
            using var reader = new StreamReader(stream);
            await stream.WriteAsync(Encoding.UTF8.GetBytes(Greeting));
            foreach (var reply in replies)
            {
                if (reply == "<close>") { socket.Shutdown(SocketShutdown.Both); break; }
                if (reply == "<silence>") { await Task.Delay(3000); break; }
                var line = await reader.ReadLineAsync();
                if (line is null) break;
                requests.Add(line);
                var id = System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("id").GetInt64();
                await stream.WriteAsync(Encoding.UTF8.GetBytes(reply.Replace("ID", id.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal) + "\r\n"));
            }
            return requests;
        });
        return (port, task);
    }

    [Fact]
    public async Task Greeting_capabilities_commands_and_events_in_between()
    {
        var (port, requests) = Peer(
            "{\"return\": {}, \"id\": ID}",
            "{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 5}, \"event\": \"STOP\"}\r\n{\"return\": {\"status\": \"paused\", \"running\": false}, \"id\": ID}",
            "{\"return\": \"RIP=ffffffff81003320\\r\\n\", \"id\": ID}",
            "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command nope has not been found\"}, \"id\": ID}");
        using var qmp = QmpClient.Connect($"127.0.0.1:{port}");
        qmp.QemuVersion.ShouldBe("10.0.2");
        qmp.Status().ShouldBe("paused");
        qmp.HumanMonitorCommand("info registers").ShouldContain("RIP=ffffffff81003320");
        var ex = Should.Throw<QmpException>(() => qmp.Execute("nope"));
        ex.ErrorClass.ShouldBe("CommandNotFound");
        ex.Message.ShouldContain("has not been found");
        var events = qmp.DrainEvents();
        events.Single().Name.ShouldBe("STOP");
        events[0].Timestamp.ToUnixTimeSeconds().ShouldBe(1700000000);
        var sent = await requests;
        sent[0].ShouldContain("\"execute\":\"qmp_capabilities\"");
        sent[2].ShouldContain("\"command-line\":\"info registers\"");
    }

    [Fact]
    public void A_peer_that_closes_or_stays_silent_gives_a_clear_error()
    {
        var (closed, _) = Peer("<close>");
        Should.Throw<QmpException>(() => QmpClient.Connect($"127.0.0.1:{closed}")).Message.ShouldContain("closed the QMP connection");
        var (silent, _) = Peer("<silence>");
        Should.Throw<QmpException>(() => QmpClient.Connect($"127.0.0.1:{silent}", TimeSpan.FromMilliseconds(300))).Message.ShouldContain("within 0.3 s");
    }

    [Fact]
    public void A_reply_with_another_id_or_bad_json_is_refused()
    {
        var (port, _) = Peer("{\"return\": {}, \"id\": ID}", "{\"return\": {}, \"id\": 999}");
        using (var qmp = QmpClient.Connect($"127.0.0.1:{port}"))
            Should.Throw<QmpException>(() => qmp.Execute("stop")).Message.ShouldContain("another id");
        var (bad, _) = Peer("{\"return\": {}, \"id\": ID}", "{not json");
        using (var qmp = QmpClient.Connect($"127.0.0.1:{bad}"))
            Should.Throw<QmpException>(() => qmp.Execute("stop")).Message.ShouldContain("malformed JSON");
    }

    [Theory]
    [InlineData("nohost")]
    [InlineData("host:99999")]
    public void Bad_endpoints_are_named(string endpoint) =>
        Should.Throw<QmpException>(() => QmpClient.Connect(endpoint)).Message.ShouldContain(endpoint);
}
