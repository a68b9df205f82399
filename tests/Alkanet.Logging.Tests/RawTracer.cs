using System.Net.Sockets;
using Alkanet.Core.Records;
using Alkanet.Logging.Wire;

namespace Alkanet.Logging.Tests;

/// <summary>A tracer speaking the wire protocol frame by frame, so the test decides the order of events (and can
/// send what a real client never would).</summary>
internal sealed class RawTracer : IDisposable
{
    private readonly TcpClient _tcp;
    private readonly FrameWriter _writer;
    private readonly FrameReader _reader;

    private RawTracer(TcpClient tcp, WelcomeMessage welcome)
    {
        _tcp = tcp;
        _writer = new FrameWriter(tcp.GetStream());
        _reader = new FrameReader(tcp.GetStream());
        Welcome = welcome;
    }

    public WelcomeMessage Welcome { get; }

    public NetworkStream Stream => _tcp.GetStream();

    public static async Task<RawTracer> ConnectAsync(LoggerFixture logger, string run, string stream, CancellationToken cancel,
        WireCompression offered = WireCompression.None)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", logger.Service.TracerEndpoint.Port, cancel);
        await new FrameWriter(tcp.GetStream()).SendAsync(new HelloMessage(LoggerFixture.Token, run, offered, "raw", stream).ToFrame(), cancel);
        var frame = await new FrameReader(tcp.GetStream()).ReadAsync(cancel) ?? throw new IOException("closed during the handshake");
        frame.Type.ShouldBe(FrameType.Welcome);
        return new RawTracer(tcp, WelcomeMessage.Parse(frame.Body.Span));
    }

    public Task SendBatchAsync(long first, int count, CancellationToken cancel)
    {
        var records = new List<SyscallRecord>();
        for (var no = first; no < first + count; no++) records.Add(TestRecords.Make(no));
        return SendBatchAsync(records, cancel);
    }

    public async Task SendBatchAsync(IEnumerable<SyscallRecord> records, CancellationToken cancel,
        WireCompression compression = WireCompression.None)
    {
        var encoder = new BatchEncoder();
        foreach (var r in records) encoder.Add(r);
        await _writer.SendAsync(FrameType.Batch, encoder.Seal().FrameBody(compression), cancel);
    }

    public async Task SendByeAsync(long lastNo, CancellationToken cancel) => await _writer.SendAsync(new ByeMessage(lastNo).ToFrame(), cancel);

    public async Task<Frame> ReadAsync(CancellationToken cancel)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        return await _reader.ReadAsync(timeout.Token) ?? throw new IOException("the logger closed the connection");
    }

    public void Dispose() => _tcp.Dispose();
}
