using System.Net;
using System.Net.Sockets;

namespace Alkanet.Logging.Tests;

/// <summary>A loopback TCP proxy that cuts every connection after a random number of bytes (either direction),
/// to drop tracer connections at random points.</summary>
internal sealed class ChaosProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _upstreamPort;
    private readonly Random _random;
    private readonly int _minBytes;
    private readonly int _maxBytes;
    private readonly CancellationTokenSource _stop = new();
    private int _cuts;

    public ChaosProxy(int upstreamPort, int seed, int minBytes, int maxBytes)
    {
        _upstreamPort = upstreamPort;
        _random = new Random(seed);
        _minBytes = minBytes;
        _maxBytes = maxBytes;
        _listener.Start();
        _ = AcceptLoop();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Cuts => Volatile.Read(ref _cuts);

    /// <summary>When false, connections are passed through untouched (to let a run finish).</summary>
    public bool Cutting { get; set; } = true;

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient down;
            try
            {
                down = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            int budget;
            lock (_random) budget = _random.Next(_minBytes, _maxBytes);
            _ = Pair(down, Cutting ? budget : int.MaxValue);
        }
    }

    private async Task Pair(TcpClient down, int budget)
    {
        using var up = new TcpClient();
        using var d = down;
        try
        {
            await up.ConnectAsync(IPAddress.Loopback, _upstreamPort);
        }
        catch (SocketException)
        {
            return;
        }
        var left = new[] { budget };
        using var cut = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        var a = Pump(down.GetStream(), up.GetStream(), left, cut);
        var b = Pump(up.GetStream(), down.GetStream(), left, cut);
        await Task.WhenAny(a, b);
        if (Interlocked.CompareExchange(ref left[0], 0, 0) <= 0) Interlocked.Increment(ref _cuts);
        cut.Cancel();
        down.Client.LingerState = new LingerOption(true, 0); // reset, like a dropped link
    }

    private static async Task Pump(NetworkStream from, NetworkStream to, int[] left, CancellationTokenSource cut)
    {
        var buf = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var n = await from.ReadAsync(buf, cut.Token);
                if (n == 0) return;
                var allowed = Math.Min(n, Math.Max(0, Volatile.Read(ref left[0])));
                if (allowed > 0) await to.WriteAsync(buf.AsMemory(0, allowed), cut.Token);
                if (Interlocked.Add(ref left[0], -n) <= 0) return;
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }
}
