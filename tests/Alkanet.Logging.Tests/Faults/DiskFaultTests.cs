using Alkanet.Core.Records;
using Alkanet.Logging.Client;
using Alkanet.Logging.Storage;

namespace Alkanet.Logging.Tests.Faults;

/// <summary>The disk under the logger fills up, fails, or slows down. (It once turned acknowledged records into a
/// permanent LOSS: after a failed commit the writer forgot the run's last number, took the failed connection's
/// still-queued batches for a gap, stored a LOSS marker and told the reconnecting tracer the gap was durable.)</summary>
public class DiskFaultTests
{
    private const long Total = 300_000; // ~90 MB of run file and index: more than the 40 MB disk holds

    [Fact]
    public async Task A_full_disk_that_recovers_loses_nothing_and_stores_no_loss()
    {
        using var disk = Tmpfs.TryMount(40, out var why);
        if (disk is null) Assert.Skip(why + "; the injected ENOSPC test below covers the same state machine");
        var logger = new LoggerFixture(dataDirectory: Path.Combine(disk.Path, "d"));
        using (logger)
        using (var client = Connect(logger, "full"))
        {
            var writer = Task.Run(() => Send(client, Total));
            StreamingTests.WaitFor(() => logger.Service.FailedCommits > 0, 300);
            StreamingTests.WaitFor(() => logger.Service.FailedCommits > 3, 60); // several reconnect-and-fail rounds
            disk.Resize(400);
            await writer.WaitAsync(TimeSpan.FromMinutes(5), TestContext.Current.CancellationToken);
            client.Flush(TimeSpan.FromMinutes(3)).ShouldBeTrue(client.LastError);
            var store = (SqliteRunStore)logger.Service.Store;
            FaultChecks.ShouldKeepItsPromises(store, "full", client, Total, flushed: true).ShouldBe(0, "a full disk is no reason to lose records");
            client.RecordsDropped.ShouldBe(0);
            logger.Log.Lines.ShouldContain(l => l.Text.Contains("No space left on device", StringComparison.Ordinal));
            logger.Log.Lines.ShouldNotContain(l => l.Text.Contains("never arrived", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void A_disk_that_stays_full_never_acknowledges_what_it_did_not_store_nor_after_a_restart()
    {
        using var disk = Tmpfs.TryMount(40, out var why);
        if (disk is null) Assert.Skip(why + "; the injected ENOSPC test below covers the same state machine");
        var data = Path.Combine(disk.Path, "d");
        var logger = new LoggerFixture(dataDirectory: data) { KeepData = true };
        var client = Connect(logger, "stays-full");
        try
        {
            var writer = Task.Run(() => Send(client, Total));
            StreamingTests.WaitFor(() => logger.Service.FailedCommits > 3, 300);
            client.Flush(TimeSpan.FromSeconds(5)).ShouldBeFalse("the disk is full: the tail cannot be acknowledged");
            logger.Dispose(); // a clean stop: the run file is cut to its committed length
            // a restart on the same full disk either works or says why; with room again, what was acknowledged is still
            // there, no LOSS was invented, and the run file holds no uncommitted line
            try
            {
                new SqliteRunStore(data).Dispose();
            }
            catch (IOException ex)
            {
                ex.Message.ShouldContain("disk is full");
            }
            disk.Resize(400);
            using var reopened = new SqliteRunStore(data);
            FaultChecks.ShouldKeepItsPromises(reopened, "stays-full", client, Total, flushed: false).ShouldBe(0);
            new FileInfo(reopened.RunFilePath("stays-full")).Length.ShouldBe(LengthOfExport(reopened, "stays-full"));
            writer.IsCompleted.ShouldBeFalse("back-pressure holds the sender while nothing is acknowledged");
        }
        finally
        {
            logger.Dispose();
            client.Fault.ShouldBeNull();
            disk.Resize(400); // let the sender's thread finish, then stop it
            client.Dispose();
        }
    }

    [Fact]
    public void An_injected_ENOSPC_from_the_store_is_resent_not_taken_for_a_gap()
    {
        ThrottledStore? store = null;
        using var logger = new LoggerFixture(o => store = new ThrottledStore(new SqliteRunStore(o.DataDirectory), TimeSpan.Zero));
        // commits 3..8 fail as a full disk would; the failing ones take long enough that the connection queues more behind them
        store!.Fault = n => n is >= 3 and <= 8 ? FailSlowly() : null;
        using (var client = Connect(logger, "enospc", batch: 2048))
        {
            Send(client, 100_000);
            client.Flush(TimeSpan.FromMinutes(2)).ShouldBeTrue(client.LastError);
            FaultChecks.ShouldKeepItsPromises(store.Inner, "enospc", client, 100_000, flushed: true).ShouldBe(0);
            client.Connections.ShouldBeGreaterThan(1, "each failed commit disconnects its tracer, which resends");
        }
        logger.Service.FailedCommits.ShouldBe(6);
        logger.Log.Lines.ShouldNotContain(l => l.Text.Contains("never arrived", StringComparison.Ordinal));
    }

    [Fact]
    public void A_slow_disk_with_the_loss_marker_policy_reports_exactly_what_it_dropped()
    {
        using var logger = new LoggerFixture(o => new ThrottledStore(new SqliteRunStore(o.DataDirectory), TimeSpan.FromMilliseconds(200)));
        using var client = LoggerClient.Connect(new LoggerClientOptions
        {
            Endpoint = logger.Endpoint, Token = LoggerFixture.Token, RunId = "slow", BufferCapacity = 1024, BatchRecords = 256,
            OnFull = BufferFullPolicy.LossMarker,
        });
        Send(client, 50_000);
        client.Flush(TimeSpan.FromMinutes(2)).ShouldBeTrue();
        client.RecordsDropped.ShouldBeGreaterThan(0, "the disk is slower than the sender, and the policy is to drop");
        var inner = ((ThrottledStore)logger.Service.Store).Inner;
        FaultChecks.ShouldKeepItsPromises(inner, "slow", client, 50_000, flushed: true).ShouldBe(client.RecordsDropped);
    }

    private static IOException FailSlowly()
    {
        Thread.Sleep(300);
        return new IOException("No space left on device (injected)");
    }

    private static long LengthOfExport(SqliteRunStore store, string runId)
    {
        using var s = store.OpenRunJsonLines(runId);
        return s.Length;
    }

    internal static LoggerClient Connect(LoggerFixture logger, string runId, int batch = 8192) =>
        LoggerClient.Connect(new LoggerClientOptions
        {
            Endpoint = logger.Endpoint, Token = LoggerFixture.Token, RunId = runId, BufferCapacity = 1 << 16, BatchRecords = batch,
            InitialBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(300), CloseTimeout = TimeSpan.FromSeconds(5),
        });

    internal static void Send(LoggerClient client, long count)
    {
        var r = new SyscallRecord();
        for (long no = 0; no < count; no++)
        {
            TestRecords.Fill(r, no);
            client.Write(r);
        }
    }
}
