using System.Diagnostics;
using System.Net.Sockets;

namespace Alkanet.Logging.Tests.Faults;

/// <summary>A burst of connects to the tracer port (a farm's tracers starting at once, or a port scan). With a listen
/// backlog of 64 a thousand back-to-back connects once took 12 s, in ~1 s stalls of SYN retries; the measured time is
/// in docs/RELIABILITY.md (bench/connect-burst.sh), the test asserts the causes: the backlog and every connect accepted.</summary>
public class ConnectBurstTests
{
    [Fact]
    public async Task A_thousand_back_to_back_connects_are_all_accepted_and_the_backlog_holds_them()
    {
        using var logger = new LoggerFixture();
        var port = logger.Service.TracerEndpoint.Port;
        ListenBacklog(port).ShouldBeGreaterThanOrEqualTo(1000, "the kernel queues a burst instead of dropping SYNs");
        const int burst = 1000;
        var cancel = TestContext.Current.CancellationToken;
        for (var i = 0; i < burst; i++)
        {
            using var tcp = new TcpClient();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            await tcp.ConnectAsync("127.0.0.1", port, timeout.Token);
        }
        StreamingTests.WaitFor(() => logger.Service.ConnectionsAccepted >= burst, 60);
        StreamingTests.WaitFor(() => logger.Service.Sessions.RefusedBeforeHello >= burst, 60);
        logger.Service.Sessions.Events.Count.ShouldBe(0, "connections that never said hello do not flood the events");
        // and a real tracer still gets through right after
        using var client = DiskFaultTests.Connect(logger, "after-burst");
        DiskFaultTests.Send(client, 1000);
        client.Flush(TimeSpan.FromMinutes(1)).ShouldBeTrue();
    }

    /// <summary>The listen queue's size as the kernel has it (<c>ss</c> shows it as Send-Q of a listening socket).</summary>
    private static int ListenBacklog(int port)
    {
        var psi = new ProcessStartInfo("ss", $"-ltnH sport = :{port}") { RedirectStandardOutput = true, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        var line = p.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).Single();
        p.WaitForExit();
        return int.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2], System.Globalization.CultureInfo.InvariantCulture);
    }
}
