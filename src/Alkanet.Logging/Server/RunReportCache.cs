using Alkanet.Logging.Storage;

namespace Alkanet.Logging.Server;

/// <summary>
/// Reports already made, keyed by what they were made from: the run, its stored record count and last number,
/// the sample asked for and the sidecar's time. A finished run's report is computed once; a live run's is made
/// again when records have arrived since. One report is computed at a time so the page cannot starve ingest.
/// </summary>
internal sealed class RunReportCache(IRunReportProvider provider, int capacity = 8)
{
    private readonly record struct Key(string RunId, long RecordCount, long LastNo, string Sample, long SidecarTicks);

    private readonly Lock _lock = new();
    private readonly LinkedList<(Key Key, Task<RunReport> Report)> _entries = new();
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    public Task<RunReport> GetAsync(IRunStore store, RunInfo run, string? sample)
    {
        var logPath = (store as SqliteRunStore)?.RunFilePath(run.RunId);
        var sidecar = logPath is null ? null : new FileInfo(logPath + ".meta.json");
        var key = new Key(run.RunId, run.RecordCount, run.LastNo, sample ?? "", sidecar is { Exists: true } ? sidecar.LastWriteTimeUtc.Ticks : 0);
        lock (_lock)
        {
            for (var node = _entries.First; node is not null; node = node.Next)
            {
                if (node.Value.Key != key) continue;
                if (node.Value.Report.IsFaulted || node.Value.Report.IsCanceled)
                {
                    _entries.Remove(node);
                    break;
                }
                _entries.Remove(node);
                _entries.AddFirst(node);
                return node.Value.Report;
            }
            var request = new RunReportRequest
            {
                Run = run, Sample = sample, LogPath = logPath, OpenRecords = () => store.OpenRunJsonLines(run.RunId),
            };
            var task = RenderAsync(request);
            _entries.AddFirst((key, task));
            while (_entries.Count > capacity) _entries.RemoveLast();
            return task;
        }
    }

    private async Task<RunReport> RenderAsync(RunReportRequest request)
    {
        // Not the caller's request token: a report shared through the cache must not die with the first viewer.
        await _oneAtATime.WaitAsync().ConfigureAwait(false);
        try
        {
            return await Task.Run(() => provider.RenderAsync(request, CancellationToken.None)).ConfigureAwait(false);
        }
        finally
        {
            _oneAtATime.Release();
        }
    }
}
