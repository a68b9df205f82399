using System.Diagnostics;
using System.Net.Sockets;
using Alkanet.Core.Records;
using Alkanet.Core.Sinks;
using Alkanet.Logging.Wire;

namespace Alkanet.Logging.Client;

/// <summary>
/// The tracer side of the wire: an <see cref="IRecordSink"/> that streams records to a logger.
/// <list type="bullet">
/// <item><see cref="Write"/> copies the record into the open batch (binary, allocation-light) and returns;
/// it blocks only when the buffer of unacknowledged records is full and <see cref="BufferFullPolicy.BackPressure"/> applies.</item>
/// <item>A sender thread connects (with backoff), says hello, and sends sealed batches; a reader thread takes
/// acks (which free the buffer) and control commands (which update <see cref="Control"/>).</item>
/// <item>After a connection loss or a logger restart the client reconnects and resends every batch the logger
/// has not made durable, starting after the last durable <c>no</c> the logger reports; the logger drops duplicates.</item>
/// </list>
/// Thread-safety: <see cref="Write"/> and <see cref="Flush"/> may be called from several threads (they take one
/// lock), but records must arrive in increasing <c>no</c> order, so number them under the same ordering.
/// </summary>
public sealed class LoggerClient : IRecordSink
{
    private const int MaxBatchBytes = 1 << 20;
    private readonly LoggerClientOptions _options;
    private readonly string _host;
    private readonly int _port;
    private readonly object _gate = new();
    private readonly BatchEncoder _encoder = new();
    private readonly List<EncodedBatch> _pending = [];
    private readonly Thread _sender;
    private readonly string _streamId = Guid.NewGuid().ToString("n");
    private long _openSince;
    private int _sendIndex;
    private long _buffered;
    private long _lastAcked = -1;
    private long _firstNo = -1;
    private long? _nextNo;
    private long _lossFirst = -1;
    private long _lossLast = -1;
    private long _written;
    private long _dropped;
    private long _backPressureWaits;
    private string? _fault;
    private bool _stopping;
    private bool _saidBye;
    private volatile bool _disposed;
    private TcpClient? _tcp;
    private Thread? _readerThread;
    private FrameWriter? _frameWriter;
    private int _generation;
    private int _brokenGeneration = -1;
    private WireCompression _compression;
    private long _rateWritten;
    private long _rateTicks = Stopwatch.GetTimestamp();

    private LoggerClient(LoggerClientOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BufferCapacity, 16);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchRecords, 1);
        (_host, _port) = LoggerClientOptions.ParseEndpoint(options.Endpoint);
        _options = options;
        Control = new TracerControl(options.WaitForStart ? TracerState.Waiting : TracerState.Running);
        _sender = new Thread(SenderLoop) { IsBackground = true, Name = "alkanet-logger-sender" };
    }

    /// <summary>Starts streaming to a logger. Returns at once: records buffer until the connection is up
    /// (use <see cref="WaitConnected"/> to wait for it).</summary>
    public static LoggerClient Connect(LoggerClientOptions options)
    {
        var client = new LoggerClient(options);
        client._sender.Start();
        return client;
    }

    public LoggerClientOptions Options => _options;

    /// <summary>What the logger asked for: state, filter, and an event per command.</summary>
    public TracerControl Control { get; }

    public bool IsConnected { get { lock (_gate) return _frameWriter is not null && _brokenGeneration != _generation; } }

    /// <summary>Successful handshakes so far (1 + reconnects).</summary>
    public int Connections { get; private set; }

    public long RecordsWritten => Interlocked.Read(ref _written);

    /// <summary>Records given to <see cref="Write"/> and dropped because the buffer was full (LossMarker policy).</summary>
    public long RecordsDropped => Interlocked.Read(ref _dropped);

    /// <summary>Times <see cref="Write"/> had to wait for buffer space (BackPressure policy).</summary>
    public long BackPressureWaits => Interlocked.Read(ref _backPressureWaits);

    public long BufferedRecords { get { lock (_gate) return _buffered; } }

    public long LastAckedNo { get { lock (_gate) return _lastAcked; } }

    /// <summary>Why the last connection attempt or connection failed (null if none did).</summary>
    public string? LastError { get; private set; }

    /// <summary>Set when the logger refused this tracer (wrong token, bad run id): writes then throw.</summary>
    public string? Fault { get { lock (_gate) return _fault; } }

    /// <summary>Waits for the first successful handshake; false on timeout or refusal.</summary>
    public bool WaitConnected(TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        lock (_gate)
        {
            while (Connections == 0 && _fault is null)
            {
                var left = deadline - Stopwatch.GetTimestamp();
                if (left <= 0) return false;
                Monitor.Wait(_gate, TimeSpan.FromSeconds(Math.Min(0.1, (double)left / Stopwatch.Frequency)));
            }
            return Connections > 0;
        }
    }

    public void Write(SyscallRecord record)
    {
        lock (_gate)
        {
            ThrowIfUnusable();
            if (_nextNo is { } expected)
            {
                if (record.No < expected)
                    throw new ArgumentException($"record no {record.No} goes backwards (expected {expected}); a run's numbers must increase",
                        nameof(record));
                if (record.No > expected)
                    AddLossLocked(expected, record.No - 1, "tracer skipped sequence numbers");
            }
            else
            {
                _firstNo = record.No;
            }
            _nextNo = record.LastCoveredNo + 1;
            if (_buffered >= _options.BufferCapacity)
            {
                if (_options.OnFull == BufferFullPolicy.LossMarker)
                {
                    AddLossLocked(record.No, record.LastCoveredNo, "");
                    _dropped += record.LastCoveredNo - record.No + 1;
                    return;
                }
                _backPressureWaits++;
                while (_buffered >= _options.BufferCapacity)
                {
                    ThrowIfUnusable();
                    Monitor.Wait(_gate, 100);
                }
            }
            EmitPendingLossLocked();
            AddLocked(record);
        }
    }

    /// <summary>Seals the open batch and waits until the logger has made every record durable.</summary>
    public void Flush() => FlushCore(Timeout.InfiniteTimeSpan);

    /// <summary>Like <see cref="Flush"/> with a time limit; false when it expired.</summary>
    public bool Flush(TimeSpan timeout) => FlushCore(timeout);

    private bool FlushCore(TimeSpan timeout)
    {
        var deadline = timeout == Timeout.InfiniteTimeSpan
            ? long.MaxValue
            : Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        lock (_gate)
        {
            ThrowIfUnusable();
            if (_lossFirst >= 0)
            {
                while (_buffered >= _options.BufferCapacity && Stopwatch.GetTimestamp() < deadline)
                {
                    ThrowIfUnusable();
                    Monitor.Wait(_gate, 100);
                }
                EmitPendingLossLocked();
            }
            if (_encoder.Count > 0) SealLocked();
            while (_buffered > 0)
            {
                ThrowIfUnusable();
                if (Stopwatch.GetTimestamp() >= deadline) return false;
                Monitor.Wait(_gate, 100);
            }
            return true;
        }
    }

    private void ThrowIfUnusable()
    {
        if (_fault is not null) throw new InvalidOperationException($"logger refused the tracer: {_fault}");
        ObjectDisposedException.ThrowIf(_disposed, this);
    }

    /// <summary>Extends (or starts) the pending loss range; the marker is written once there is room again.</summary>
    private void AddLossLocked(long first, long last, string reason)
    {
        if (_lossFirst >= 0 && first == _lossLast + 1)
        {
            _lossLast = last;
            return;
        }
        EmitPendingLossLocked();
        if (reason.Length > 0)
        {
            // a gap in the tracer's own numbering: record it at once, in order
            AddLocked(SyscallRecord.LossMarker(first, last, reason));
            return;
        }
        _lossFirst = first;
        _lossLast = last;
    }

    private void EmitPendingLossLocked()
    {
        if (_lossFirst < 0) return;
        var marker = SyscallRecord.LossMarker(_lossFirst, _lossLast, "tracer buffer full (logger slow or unreachable)");
        _lossFirst = _lossLast = -1;
        AddLocked(marker);
    }

    private void AddLocked(SyscallRecord record)
    {
        if (_encoder.Count == 0) _openSince = Stopwatch.GetTimestamp();
        _encoder.Add(record);
        _buffered++;
        _written++;
        if (_encoder.Count >= _options.BatchRecords || _encoder.ByteCount >= MaxBatchBytes) SealLocked();
    }

    private void SealLocked()
    {
        _pending.Add(_encoder.Seal());
        Monitor.PulseAll(_gate);
    }

    // ---------------- connection ----------------

    private void SenderLoop()
    {
        var failures = 0;
        while (true)
        {
            lock (_gate) if (_stopping || _saidBye || _fault is not null) return;
            int generation;
            try
            {
                generation = ConnectAndHandshake();
                failures = 0;
            }
            catch (Exception ex)
            {
                // any failure (refused, reset, timeout, a socket closed under us by Dispose) means: back off and retry
                LastError = $"connect to {_options.Endpoint}: {ex.Message}";
                CloseConnection();
                lock (_gate)
                {
                    if (_fault is not null || _stopping) return;
                    Monitor.Wait(_gate, Backoff(failures++));
                }
                continue;
            }
            try
            {
                SendUntilBroken(generation);
            }
            catch (Exception ex)
            {
                LastError = $"send to {_options.Endpoint}: {ex.Message}";
            }
            CloseConnection();
        }
    }

    private TimeSpan Backoff(int failures)
    {
        var ms = Math.Min(_options.MaxBackoff.TotalMilliseconds, _options.InitialBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(failures, 20)));
        return TimeSpan.FromMilliseconds(ms * (0.5 + Random.Shared.NextDouble() / 2));
    }

    private int ConnectAndHandshake()
    {
        var tcp = new TcpClient { NoDelay = true, SendBufferSize = 1 << 20, ReceiveBufferSize = 1 << 16 };
        lock (_gate) _tcp = tcp;
        using (var cts = new CancellationTokenSource(_options.ConnectTimeout))
            tcp.ConnectAsync(_host, _port, cts.Token).AsTask().GetAwaiter().GetResult();
        var stream = tcp.GetStream();
        var writer = new FrameWriter(stream);
        var reader = new FrameReader(stream, WireLimits.DefaultMaxFrameBytes);
        writer.Send(new HelloMessage(_options.Token, _options.RunId, _options.Compression, _options.ClientName, _streamId).ToFrame());
        stream.ReadTimeout = (int)_options.ConnectTimeout.TotalMilliseconds;
        var frame = reader.Read() ?? throw new IOException("logger closed the connection during the handshake");
        stream.ReadTimeout = Timeout.Infinite;
        if (frame.Type == FrameType.Reject)
        {
            var reject = RejectMessage.Parse(frame.Body.Span);
            lock (_gate)
            {
                _fault = reject.Reason;
                Monitor.PulseAll(_gate);
            }
            throw new ProtocolException($"logger refused: {reject.Reason}");
        }
        if (frame.Type != FrameType.Welcome) throw new ProtocolException($"expected a welcome, got {frame.Type}");
        var welcome = WelcomeMessage.Parse(frame.Body.Span);
        int generation;
        lock (_gate)
        {
            _compression = welcome.Compression & _options.Compression;
            PruneAckedLocked(welcome.LastDurableNo);
            if (welcome.LastDurableNo < _lastAcked && _firstNo >= 0)
            {
                // the logger lost records it had acknowledged (its data was wiped): say so instead of a silent gap
                var first = Math.Max(_firstNo, welcome.LastDurableNo + 1);
                var loss = new BatchEncoder();
                loss.Add(SyscallRecord.LossMarker(first, _lastAcked, "logger lost acknowledged records"));
                _pending.Insert(0, loss.Seal());
                _buffered++;
            }
            _sendIndex = 0;
            _frameWriter = writer;
            generation = ++_generation;
            Connections++;
            Monitor.PulseAll(_gate);
        }
        var readerThread = new Thread(() => ReaderLoop(reader, writer, generation)) { IsBackground = true, Name = "alkanet-logger-reader" };
        // Start before publishing: a closing thread that finds it must be able to Join it.
        readerThread.Start();
        lock (_gate) _readerThread = readerThread;
        return generation;
    }

    private void SendUntilBroken(int generation)
    {
        while (true)
        {
            EncodedBatch batch;
            FrameWriter writer;
            WireCompression compression;
            lock (_gate)
            {
                while (true)
                {
                    if (_brokenGeneration == generation || _fault is not null) return;
                    if (_sendIndex < _pending.Count)
                    {
                        batch = _pending[_sendIndex++];
                        break;
                    }
                    if (_stopping) return;
                    if (_encoder.Count > 0
                        && Stopwatch.GetElapsedTime(_openSince) >= _options.Linger)
                    {
                        SealLocked();
                        continue;
                    }
                    Monitor.Wait(_gate, _options.Linger);
                }
                writer = _frameWriter!;
                compression = _compression;
            }
            writer.Send(FrameType.Batch, batch.FrameBody(compression));
        }
    }

    private void ReaderLoop(FrameReader reader, FrameWriter writer, int generation)
    {
        try
        {
            while (true)
            {
                var frame = reader.Read();
                if (frame is null) break;
                var f = frame.Value;
                switch (f.Type)
                {
                    case FrameType.Ack:
                    {
                        var ack = AckMessage.Parse(f.Body.Span);
                        lock (_gate)
                        {
                            PruneAckedLocked(ack.DurableThroughNo);
                            Monitor.PulseAll(_gate);
                        }
                        break;
                    }
                    case FrameType.Control:
                    {
                        var control = ControlMessage.Parse(f.Body.Span);
                        Control.Apply(control);
                        if (control.Command == ControlCommand.StatusRequest) writer.Send(BuildStatus(control.RequestId).ToFrame());
                        break;
                    }
                    case FrameType.Reject:
                    {
                        var reject = RejectMessage.Parse(f.Body.Span);
                        lock (_gate) _fault = reject.Reason;
                        break;
                    }
                    default:
                        throw new ProtocolException($"unexpected {f.Type} frame from the logger");
                }
            }
        }
        catch (Exception ex)
        {
            // a thread of ours must never take the tracer down: any failure just ends this connection
            LastError = $"receive from {_options.Endpoint}: {ex.Message}";
        }
        lock (_gate)
        {
            if (_generation == generation) _brokenGeneration = generation;
            Monitor.PulseAll(_gate);
        }
    }

    private void PruneAckedLocked(long durableThrough)
    {
        if (durableThrough > _lastAcked) _lastAcked = durableThrough;
        var removed = 0;
        while (removed < _pending.Count && _pending[removed].LastNo <= durableThrough)
        {
            _buffered -= _pending[removed].Count;
            removed++;
        }
        if (removed == 0) return;
        _pending.RemoveRange(0, removed);
        _sendIndex = Math.Max(0, _sendIndex - removed);
    }

    /// <summary>The status the tracer reports (also answered automatically to a status request).</summary>
    public StatusMessage BuildStatus(uint requestId = 0)
    {
        lock (_gate)
        {
            var now = Stopwatch.GetTimestamp();
            var seconds = (double)(now - _rateTicks) / Stopwatch.Frequency;
            var rate = seconds > 0 ? (_written - _rateWritten) / seconds : 0;
            if (seconds >= 0.5)
            {
                _rateTicks = now;
                _rateWritten = _written;
            }
            return new StatusMessage(requestId, Control.State, rate, _written, _buffered, _options.BufferCapacity, _dropped, _lastAcked,
                Control.Filter.ToString());
        }
    }

    private void CloseConnection()
    {
        TcpClient? tcp;
        lock (_gate)
        {
            tcp = _tcp;
            _tcp = null;
            _frameWriter = null;
            _brokenGeneration = _generation;
        }
        tcp?.Dispose();
    }

    /// <summary>Flushes (up to <see cref="LoggerClientOptions.CloseTimeout"/>), says goodbye and closes.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        var complete = false;
        try
        {
            complete = Fault is null && FlushCore(_options.CloseTimeout);
        }
        catch (InvalidOperationException)
        {
        }
        FrameWriter? writer;
        lock (_gate)
        {
            writer = _brokenGeneration == _generation ? null : _frameWriter;
            if (complete && writer is not null) _saidBye = true; // the sender must not reconnect once the logger closes
        }
        if (complete && writer is not null && _nextNo is { } next)
        {
            // before the sender is told to stop, or it may close the connection under the goodbye
            try
            {
                writer.Send(new ByeMessage(next - 1).ToFrame());
                // half-close and wait for the logger to close its side, so the goodbye is read, not reset away
                Thread? readerThread;
                lock (_gate)
                {
                    _tcp?.Client.Shutdown(SocketShutdown.Send);
                    readerThread = _readerThread;
                }
                readerThread?.Join(TimeSpan.FromSeconds(2));
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
            {
            }
        }
        lock (_gate)
        {
            _stopping = true;
            _disposed = true;
            Monitor.PulseAll(_gate);
        }
        CloseConnection();
        _sender.Join(TimeSpan.FromSeconds(5));
    }
}
