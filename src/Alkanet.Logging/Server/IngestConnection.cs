using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Alkanet.Logging.Storage;
using Alkanet.Logging.Wire;
using Microsoft.Extensions.Logging;

namespace Alkanet.Logging.Server;

/// <summary>One tracer connection: hello and token check, then batches into the pipeline, statuses to the
/// session, acks and control out. Anything the tracer gets wrong closes this connection only, with a logged reason.</summary>
internal sealed class IngestConnection
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly LoggerServerOptions _options;
    private readonly IRunStore _store;
    private readonly IngestPipeline _pipeline;
    private readonly SessionRegistry _sessions;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _abort = new();
    private string? _abortReason;

    public IngestConnection(TcpClient tcp, LoggerServerOptions options, IRunStore store, IngestPipeline pipeline, SessionRegistry sessions,
        TokenGuard guard, ILogger log)
    {
        _guard = guard;
        RemoteAddress = (tcp.Client.RemoteEndPoint as System.Net.IPEndPoint)?.Address ?? System.Net.IPAddress.None;
        _tcp = tcp;
        _tcp.NoDelay = true;
        _stream = tcp.GetStream();
        Writer = new FrameWriter(_stream);
        _options = options;
        _store = store;
        _pipeline = pipeline;
        _sessions = sessions;
        _log = log;
        Remote = tcp.Client.RemoteEndPoint?.ToString() ?? "?";
    }

    public string Remote { get; }

    private System.Net.IPAddress RemoteAddress { get; }

    private readonly TokenGuard _guard;

    public string ClientName { get; private set; } = "";

    public FrameWriter Writer { get; }

    public void SendAck(long durableThrough)
    {
        _ = SendQuietly(new AckMessage(durableThrough).ToFrame());
    }

    private async Task SendQuietly(byte[] frame)
    {
        try
        {
            await Writer.SendAsync(frame, _abort.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException or OperationCanceledException)
        {
        }
    }

    /// <summary>True once the logger gave up on this connection (a failed commit, a replacement, shutdown): batches it
    /// queued are then discarded, never stored or taken for a gap (its tracer resends them on its next connection).</summary>
    public bool IsAborted => Volatile.Read(ref _aborted);

    private bool _aborted;

    public void Abort(string reason)
    {
        _abortReason ??= reason;
        Volatile.Write(ref _aborted, true);
        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
        _tcp.Dispose();
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, _abort.Token);
        var cancel = linked.Token;
        var reader = new FrameReader(_stream, _options.MaxFrameBytes);
        RunSession? session = null;
        string? runId = null;
        var saidBye = false;
        var refused = false;
        try
        {
            HelloMessage hello;
            using (var helloTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancel))
            {
                helloTimeout.CancelAfter(_options.HelloTimeout);
                Frame? first;
                try
                {
                    // before the token is checked, a peer gets no more than a small buffer
                    first = await reader.ReadAsync(16 * 1024, helloTimeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
                {
                    throw new ProtocolException($"no hello within {_options.HelloTimeout.TotalSeconds:0} s");
                }
                if (first is null) throw new ProtocolException("closed before saying hello");
                if (first.Value.Type != FrameType.Hello) throw new ProtocolException($"first frame is {first.Value.Type}, not a hello");
                hello = HelloMessage.Parse(first.Value.Body.Span);
            }
            if (_guard.Throttled(RemoteAddress, out var retryAfter))
            {
                // refused without checking the token; closed without a Reject, so a tracer sharing the address retries
                _log.LogDebug("tracer {Remote}: token checks throttled for {Seconds:0} s", Remote, retryAfter.TotalSeconds);
                return;
            }
            if (!TokenMatches(hello.Token))
            {
                _guard.Failed(RemoteAddress, "tracer port", hello.RunId);
                await SendRejectAsync("wrong token").ConfigureAwait(false);
                return;
            }
            _guard.Succeeded(RemoteAddress);
            runId = hello.RunId;
            ClientName = hello.ClientName;
            var previous = _store.FindRun(hello.RunId);
            var run = _store.OpenRun(hello.RunId, hello.ClientName, hello.StreamId);
            // a different tracer stream continuing a run must not reuse its numbers: they would be dropped as duplicates
            var floor = previous is { LastNo: >= 0 } && previous.Stream != hello.StreamId ? run.LastNo : -1;
            session = _sessions.GetOrAdd(hello.RunId);
            _sessions.Attach(session, this);
            var compression = ChooseCompression(hello.Offered);
            // "Durable through" speaks for this stream only: a tracer prunes what it holds up to that number, so telling a
            // new stream the run's last number would make it drop records it never sent (and a resend of the same
            // numbers would then look accepted instead of being refused below).
            var durableForThisStream = floor >= 0 ? -1 : run.LastNo;
            await Writer.SendAsync(new WelcomeMessage(compression, durableForThisStream, _options.MaxFrameBytes).ToFrame(), cancel)
                .ConfigureAwait(false);
            _log.LogInformation("tracer {Remote} ({Client}) streams run {Run}, resuming after no {Last}, compression {Compression}",
                Remote, ClientName, runId, run.LastNo, compression);
            _sessions.Note(Remote, runId, $"connected ({ClientName}), durable through {run.LastNo}");
            var decoder = new BatchDecoder();
            while (true)
            {
                var frame = await reader.ReadAsync(cancel).ConfigureAwait(false);
                if (frame is null) break;
                var f = frame.Value;
                switch (f.Type)
                {
                    case FrameType.Batch:
                    {
                        var list = _pipeline.RentList();
                        var count = decoder.Decode(f.Body.Span, list.Records);
                        if (floor >= 0 && list.Records[0].No <= floor)
                            throw new ProtocolException($"run {runId} already holds records through no {floor} from another tracer; " +
                                                        $"a new tracer must continue numbering after {floor} or use a new run id");
                        list.Encode(count);
                        Interlocked.Add(ref session.RecordsReceived, count);
                        await _pipeline.EnqueueAsync(new IngestItem { RunId = runId, Records = list, Count = count, Source = this }, cancel)
                            .ConfigureAwait(false);
                        break;
                    }
                    case FrameType.Status:
                        session.OnStatus(StatusMessage.Parse(f.Body.Span));
                        break;
                    case FrameType.Bye:
                    {
                        var bye = ByeMessage.Parse(f.Body.Span);
                        saidBye = true;
                        var byeItem = new IngestItem { RunId = runId, ByeLastNo = bye.LastNo, Source = this };
                        await _pipeline.EnqueueAsync(byeItem, cancel).ConfigureAwait(false);
                        break;
                    }
                    default:
                        throw new ProtocolException($"unexpected {f.Type} frame from a tracer");
                }
            }
            _sessions.Note(Remote, runId, "disconnected");
        }
        catch (ProtocolException ex) when (runId is null)
        {
            _log.LogDebug("closing {Remote} before its hello: {Reason}", Remote, ex.Message);
            _sessions.CountRefusedBeforeHello();
            await SendRejectAsync(ex.Message).ConfigureAwait(false);
        }
        catch (ProtocolException ex)
        {
            _log.LogWarning("disconnecting tracer {Remote} (run {Run}): {Reason}", Remote, runId, ex.Message);
            _sessions.Note(Remote, runId, $"disconnected: {ex.Message}");
            refused = true;
            await SendRejectAsync(ex.Message).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            var reason = _abortReason ?? (stopping.IsCancellationRequested ? "logger stopping" : ex.Message);
            _log.LogInformation("tracer {Remote} (run {Run}) disconnected: {Reason}", Remote, runId ?? "-", reason);
            _sessions.Note(Remote, runId, $"disconnected: {reason}");
        }
        catch (Exception ex)
        {
            // the store failed while opening the run (disk full...): not the tracer's fault, so no Reject (which it
            // takes as final); it reconnects with backoff and resends
            _log.LogError("tracer {Remote} (run {Run}) disconnected: the logger could not open the run: {Error}", Remote, runId ?? "-", ex.Message);
            _sessions.Note(Remote, runId, $"disconnected: logger storage failed: {ex.Message}");
        }
        finally
        {
            if (session is not null) _sessions.Detach(session, this);
            _tcp.Dispose();
            if (session is not null && runId is not null && !saidBye && !stopping.IsCancellationRequested)
                _ = AbandonLaterAsync(session, runId, refused ? TimeSpan.Zero : _options.AbandonedRunTimeout, refused
                    ? "its tracer was refused"
                    : $"its tracer went away without a goodbye and did not return within {_options.AbandonedRunTimeout}", stopping);
        }
    }

    /// <summary>A run whose tracer vanished (killed, network gone) would otherwise show Live until the logger restarts.</summary>
    private async Task AbandonLaterAsync(RunSession session, string runId, TimeSpan after, string why, CancellationToken stopping)
    {
        try
        {
            if (after > TimeSpan.Zero) await Task.Delay(after, stopping).ConfigureAwait(false);
            if (session.IsConnected) return;
            await _pipeline.EnqueueAsync(new IngestItem { RunId = runId, Abandoned = why }, stopping).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or System.Threading.Channels.ChannelClosedException)
        {
        }
    }

    private async Task SendRejectAsync(string reason)
    {
        try
        {
            using var t = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await Writer.SendAsync(new RejectMessage(reason).ToFrame(), t.Token).ConfigureAwait(false);
        }
        catch (Exception sendEx) when (sendEx is IOException or ObjectDisposedException or SocketException or OperationCanceledException)
        {
        }
    }

    /// <summary>Brotli when both sides allow it and the tracer is on another machine. Over loopback it only costs CPU on
    /// both sides of the same machine (compressing and decompressing ~50 bytes a record, ~4% of the logger's CPU and
    /// more of the tracer's), where the bandwidth it saves is free: the tracer then sends raw batches.</summary>
    private WireCompression ChooseCompression(WireCompression offered) =>
        (offered & _options.Compression).HasFlag(WireCompression.Brotli)
        && !System.Net.IPAddress.IsLoopback(RemoteAddress.IsIPv4MappedToIPv6 ? RemoteAddress.MapToIPv4() : RemoteAddress)
            ? WireCompression.Brotli
            : WireCompression.None;

    private bool TokenMatches(string presented) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(_options.Token));
}
