using System.Collections.Concurrent;
using System.Threading.Channels;
using Alkanet.Core.Records;
using Alkanet.Logging.Storage;
using Microsoft.Extensions.Logging;

namespace Alkanet.Logging.Server;

/// <summary>A decoded batch (or a run's end) on its way to storage.</summary>
internal sealed class IngestItem
{
    public required string RunId { get; init; }

    /// <summary>The batch's records and their JSON lines (encoded on the connection's thread).</summary>
    public EncodedRecords? Records { get; init; }

    public int Count { get; init; }

    /// <summary>Set for a goodbye: the tracer's last <c>no</c>.</summary>
    public long? ByeLastNo { get; init; }

    /// <summary>Set when the run's tracer went away for good without a goodbye: the run is marked interrupted.</summary>
    public string? Abandoned { get; init; }

    /// <summary>The connection the records came in on: it, and only it, is acknowledged once they are durable.</summary>
    public IngestConnection? Source { get; init; }

    /// <summary>Set by the writer when the item's connection was aborted before it was stored.</summary>
    public bool Discarded { get; set; }
}

/// <summary>
/// The logger's single writer. Connections hand it decoded batches through a bounded queue (when the
/// queue is full the connection stops reading, TCP fills, and the tracer's buffer applies back-pressure).
/// The writer drops records whose <c>no</c> is already stored, turns a real gap into an explicit LOSS
/// marker, commits many batches per transaction, and then acknowledges each run's last durable <c>no</c>.
/// <para>A failed commit (disk full, I/O error) is a state change, not a gap: nothing of it is acknowledged, the
/// writer forgets the numbers it had advanced (the store's committed view is the truth again), and every
/// connection whose records were in it is aborted. Batches such a connection had already queued are discarded
/// unread when they come up: its tracer still holds them and resends everything after the last durable number
/// it is told on reconnecting. Only a connection in good standing can open a gap, so a LOSS "gap on the wire" is
/// stored only for numbers its tracer really skipped.</para>
/// </summary>
internal sealed class IngestPipeline : IDisposable
{
    private readonly IRunStore _store;
    private readonly SessionRegistry _sessions;
    private readonly ILogger _log;
    private readonly int _maxPerCommit;
    private readonly Channel<IngestItem> _queue = Channel.CreateBounded<IngestItem>(new BoundedChannelOptions(16) { SingleReader = true });
    private readonly ConcurrentBag<EncodedRecords> _listPool = [];
    private readonly Dictionary<string, long> _lastNo = new(StringComparer.Ordinal);
    private readonly Thread _thread;

    public IngestPipeline(IRunStore store, SessionRegistry sessions, ILogger log, int maxPerCommit)
    {
        _store = store;
        _sessions = sessions;
        _log = log;
        _maxPerCommit = maxPerCommit;
        _thread = new Thread(WriterLoop) { IsBackground = true, Name = "alkanet-logger-writer" };
        _thread.Start();
    }

    /// <summary>Raised after each commit with the runs it advanced (for live views).</summary>
    public event Action<IReadOnlyCollection<string>>? Committed;

    public long RecordsCommitted;

    public long DuplicatesDropped;

    public long Commits;

    /// <summary>Commits that failed (nothing of them was acknowledged; their tracers resend).</summary>
    public long FailedCommits;

    /// <summary>Records discarded because their connection was aborted before they were stored (resent by their tracer).</summary>
    public long RecordsDiscarded;

    public EncodedRecords RentList() => _listPool.TryTake(out var l) ? l : new EncodedRecords();

    public ValueTask EnqueueAsync(IngestItem item, CancellationToken cancel) => _queue.Writer.WriteAsync(item, cancel);

    private void WriterLoop()
    {
        var batch = new List<IngestItem>();
        var appends = new Dictionary<string, List<RecordSlice>>(StringComparer.Ordinal);
        var touched = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            batch.Clear();
            try
            {
                if (!_queue.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult()) return;
            }
            catch (ChannelClosedException)
            {
                return;
            }
            var total = 0;
            while (total < _maxPerCommit && _queue.Reader.TryRead(out var item))
            {
                batch.Add(item);
                total += item.Count;
            }
            appends.Clear();
            touched.Clear();
            try
            {
                Dedupe(batch, appends, touched);
            }
            catch (Exception ex)
            {
                _log.LogError(ex, "ingest failed before storage; disconnecting the affected tracers so they resend");
                Unwind(batch, touched, $"ingest failed: {ex.Message}");
                continue;
            }
            var work = appends.Where(kv => kv.Value.Count > 0).Select(kv => new RunAppend(kv.Key, kv.Value)).ToList();
            try
            {
                _store.Commit(work);
            }
            catch (Exception ex)
            {
                FailedCommits++;
                _log.LogError("storage commit failed ({Error}); nothing of it is acknowledged, its {Runs} tracer(s) are disconnected to resend",
                    ex.InnerException?.Message ?? ex.Message, touched.Count);
                Unwind(batch, touched, $"storage failed: {ex.InnerException?.Message ?? ex.Message}");
                continue;
            }
            AfterCommit(batch, work, touched);
        }
    }

    /// <summary>Nothing of this batch is stored: forget the numbers it advanced (the store's committed view is the truth
    /// again) and abort every connection that fed it, so their queued batches are discarded and their tracers resend.</summary>
    private void Unwind(List<IngestItem> batch, HashSet<string> touched, string reason)
    {
        foreach (var run in touched)
        {
            _lastNo.Remove(run);
            _sessions.Find(run)?.Connection?.Abort(reason);
        }
        foreach (var item in batch) item.Source?.Abort(reason);
        ReturnLists(batch);
    }

    // loops over every record of up to a commit's worth of batches, called once per commit: optimized at once
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void Dedupe(List<IngestItem> batch, Dictionary<string, List<RecordSlice>> appends, HashSet<string> touched)
    {
        foreach (var item in batch)
        {
            // (a goodbye is kept: the writer judges it against what is stored, so it can end a run as incomplete but never
            // vouch for records; dropping it would leave the run Live with no timer to end it)
            if (item.Records is not null && item.Source is { IsAborted: true })
            {
                // queued before its connection was aborted (a failed commit, a replaced connection): never a gap,
                // its tracer resends these from the last number it is told is durable
                RecordsDiscarded += item.Count;
                item.Discarded = true;
                continue;
            }
            touched.Add(item.RunId);
            if (item.Records is null) continue;
            var last = LastNo(item.RunId);
            if (!appends.TryGetValue(item.RunId, out var slices)) appends[item.RunId] = slices = [];
            var src = item.Records;
            var keepFrom = -1;
            void Close(int end)
            {
                if (keepFrom >= 0 && end > keepFrom) slices.Add(new RecordSlice(src, keepFrom, end - keepFrom));
                keepFrom = -1;
            }
            for (var i = 0; i < item.Count; i++)
            {
                var r = src.Records[i];
                if (r.LastCoveredNo <= last)
                {
                    Close(i);
                    DuplicatesDropped++;
                    continue;
                }
                if (r.No <= last)
                {
                    // a LOSS marker overlapping what is stored: keep only its new part
                    Close(i);
                    slices.Add(Single(SyscallRecord.LossMarker(last + 1, r.LastCoveredNo, r.AdditionalInfo[LossFields.Reason] ?? "loss")));
                    last = r.LastCoveredNo;
                    continue;
                }
                if (last >= 0 && r.No > last + 1)
                {
                    Close(i);
                    slices.Add(Single(SyscallRecord.LossMarker(last + 1, r.No - 1,
                        "gap on the wire: records never received (tracer restarted without them?)")));
                    _log.LogWarning("run {Run}: records {First}..{Last} never arrived; stored a LOSS marker", item.RunId, last + 1, r.No - 1);
                }
                if (keepFrom < 0) keepFrom = i;
                last = r.LastCoveredNo;
            }
            Close(item.Count);
            _lastNo[item.RunId] = last;
        }
    }

    private void AfterCommit(List<IngestItem> batch, List<RunAppend> work, HashSet<string> touched)
    {
        Commits++;
        foreach (var w in work) RecordsCommitted += w.Count;
        foreach (var item in batch)
        {
            if (item.Discarded) continue;
            try
            {
                if (item.Abandoned is { } why)
                {
                    if (_store.FindRun(item.RunId) is { State: RunState.Live } && _sessions.Find(item.RunId) is not { IsConnected: true })
                    {
                        _store.EndRun(item.RunId, RunState.Interrupted);
                        _log.LogWarning("run {Run} interrupted: {Why}", item.RunId, why);
                    }
                    continue;
                }
                if (item.ByeLastNo is not { } byeLast) continue;
                var complete = LastNo(item.RunId) >= byeLast;
                _store.EndRun(item.RunId, complete ? RunState.Complete : RunState.Interrupted);
                _log.LogInformation("run {Run} ended by its tracer ({State}, last no {Last})",
                    item.RunId, complete ? "complete" : "incomplete", byeLast);
            }
            catch (Exception ex)
            {
                _log.LogError(ex, "could not mark run {Run} as ended", item.RunId);
            }
        }
        // Acknowledge the connections whose records these were, not whoever holds the run's session now: a new
        // tracer stream that joined the run meanwhile must never be told numbers it did not send are durable (it
        // would drop its own unsent records as acknowledged, and a resend of stored numbers would look accepted).
        var acked = new HashSet<(string Run, IngestConnection Source)>();
        foreach (var item in batch)
        {
            if (item.Records is null || item.Discarded || item.Source is not { } source || source.IsAborted) continue;
            if (!acked.Add((item.RunId, source))) continue;
            if (_lastNo.TryGetValue(item.RunId, out var last) && last >= 0) source.SendAck(last);
        }
        ReturnLists(batch);
        Committed?.Invoke(touched);
    }

    private static RecordSlice Single(SyscallRecord r) => new(EncodedRecords.From([r]), 0, 1);

    private void ReturnLists(List<IngestItem> items)
    {
        foreach (var item in items)
            if (item.Records is { } l && _listPool.Count < 64) _listPool.Add(l);
    }

    private long LastNo(string runId)
    {
        if (_lastNo.TryGetValue(runId, out var n)) return n;
        n = _store.FindRun(runId)?.LastNo ?? -1;
        _lastNo[runId] = n;
        return n;
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _thread.Join(TimeSpan.FromSeconds(30));
    }
}
