using Alkanet.Core.Records;
using Alkanet.Logging.Client;
using Alkanet.Logging.Storage;

namespace Alkanet.Logging.Tests;

/// <summary>Real processes, real sockets: the stored run stays complete, gap-free and duplicate-free through
/// a killed and restarted logger and through connections dropped at random points.</summary>
public class ReliabilityTests
{
    [Fact]
    public async Task Killing_the_logger_twice_during_a_million_record_stream_loses_nothing()
    {
        const long total = 1_000_000;
        var dir = Path.Combine(Path.GetTempPath(), "alkanet-logger-kill-" + Guid.NewGuid().ToString("n"));
        var port = StreamingTests.FreePort();
        var logger = new LoggerProcess(port, dir, LoggerFixture.Token);
        try
        {
            using var client = LoggerClient.Connect(new LoggerClientOptions
            {
                Endpoint = $"127.0.0.1:{port}", Token = LoggerFixture.Token, RunId = "million", BufferCapacity = 1 << 17,
                InitialBackoff = TimeSpan.FromMilliseconds(50), MaxBackoff = TimeSpan.FromMilliseconds(500),
            });
            var writer = Task.Run(() =>
            {
                var r = new SyscallRecord();
                for (long no = 0; no < total; no++)
                {
                    TestRecords.Fill(r, no);
                    client.Write(r);
                }
            });
            foreach (var killAt in new[] { 250_000L, 650_000L })
            {
                StreamingTests.WaitFor(() => client.LastAckedNo >= killAt || writer.IsCompleted, 300);
                logger.Kill();
                logger.Dispose();
                logger = new LoggerProcess(port, dir, LoggerFixture.Token);
            }
            await writer.WaitAsync(TimeSpan.FromMinutes(5));
            client.Flush(TimeSpan.FromMinutes(2)).ShouldBeTrue();
            client.Connections.ShouldBeGreaterThanOrEqualTo(3);
        }
        finally
        {
            logger.Dispose();
        }
        using var store = new SqliteRunStore(dir);
        RunChecks.ShouldBeCompleteRun(store, store.RunFilePath("million"), "million", 0, total - 1).ShouldBe(0);
        store.FindRun("million")!.RecordCount.ShouldBe(total);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void Connections_dropped_at_random_points_lose_and_duplicate_nothing()
    {
        const long total = 200_000;
        using var logger = new LoggerFixture();
        using var proxy = new ChaosProxy(logger.Service.TracerEndpoint.Port, seed: 4242, minBytes: 2_000, maxBytes: 300_000);
        using (var client = LoggerClient.Connect(new LoggerClientOptions
        {
            Endpoint = $"127.0.0.1:{proxy.Port}", Token = LoggerFixture.Token, RunId = "chaos", BufferCapacity = 1 << 15,
            BatchRecords = 1024, Compression = Wire.WireCompression.None, InitialBackoff = TimeSpan.FromMilliseconds(5), MaxBackoff = TimeSpan.FromMilliseconds(50),
        }))
        {
            var r = new SyscallRecord();
            for (long no = 0; no < total; no++)
            {
                TestRecords.Fill(r, no);
                client.Write(r);
            }
            proxy.Cutting = false; // let the tail through
            client.Flush(TimeSpan.FromMinutes(2)).ShouldBeTrue();
            client.Connections.ShouldBeGreaterThan(5);
        }
        proxy.Cuts.ShouldBeGreaterThan(5);
        var store = (SqliteRunStore)logger.Service.Store;
        RunChecks.ShouldBeCompleteRun(store, store.RunFilePath("chaos"), "chaos", 0, total - 1).ShouldBe(0);
        store.FindRun("chaos")!.RecordCount.ShouldBe(total);
    }
}
