using System.Net.Sockets;
using System.Text;

namespace Alkanet.Vmm.Gdb;

/// <summary>
/// One GDB remote serial protocol connection: frames packets, checks checksums, sends and expects
/// acks, and enforces a deadline on every read so a silent or half-dead stub never hangs the tracer.
/// Every packet passes the <see cref="RspWriteGuard"/> before a byte of it is sent, and every packet
/// sent is reported to <see cref="PacketSent"/> (the audit trail the write-guard test checks).
/// </summary>
public sealed class RspConnection : IDisposable
{
    /// <summary>Largest raw packet body accepted from the stub: QEMU's PacketSize is 4 KiB; anything far beyond is an attack or a bug.</summary>
    public const int MaxPacketBody = 256 * 1024;

    private const int MaxRetransmits = 3;
    private const int MaxJunkBytes = 4096;

    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _pos, _len;
    private bool _disposed;

    public RspConnection(Socket socket, TimeSpan timeout, RspWriteGuard? guard = null)
    {
        _socket = socket;
        Timeout = timeout;
        Guard = guard ?? new RspWriteGuard();
        _socket.NoDelay = true;
    }

    /// <summary>The deadline of each single exchange (a reply, an ack).</summary>
    public TimeSpan Timeout { get; set; }

    public RspWriteGuard Guard { get; }

    /// <summary>Raised with the payload of every packet actually sent (after the guard allowed it), retransmits excluded.</summary>
    public event Action<string>? PacketSent;

    public long PacketsSent { get; private set; }

    public long PacketsReceived { get; private set; }

    public static RspConnection Connect(string host, int port, TimeSpan timeout, RspWriteGuard? guard = null)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            socket.ConnectAsync(host, port, cts.Token).AsTask().GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            throw new GdbConnectionException($"cannot connect to the gdbstub at {host}:{port}: " +
                (ex is OperationCanceledException ? $"no answer within {timeout.TotalSeconds:0.#} s" : ex.Message), ex);
        }
        return new RspConnection(socket, timeout, guard);
    }

    /// <summary>Sends one packet and waits for its ack ('+'), retransmitting on '-'.</summary>
    /// <exception cref="GdbWriteRefusedException">the guard refused the packet; nothing was sent.</exception>
    public void Send(string payload)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Guard.Check(payload);
        var body = RspCodec.EscapeForFrame(Encoding.ASCII.GetBytes(payload));
        var frame = new byte[body.Length + 4];
        frame[0] = (byte)'$';
        body.CopyTo(frame, 1);
        frame[^3] = (byte)'#';
        var sum = RspCodec.Checksum(body);
        frame[^2] = (byte)"0123456789abcdef"[sum >> 4];
        frame[^1] = (byte)"0123456789abcdef"[sum & 15];
        PacketsSent++;
        PacketSent?.Invoke(payload);
        for (var attempt = 0; ; attempt++)
        {
            WriteAll(frame);
            var ack = ReadByte(Deadline(), "the ack of packet '" + Abbreviate(payload) + "'");
            while (ack != '+' && ack != '-')
            {
                // A stub may emit stray bytes (a late ack, console noise) before the ack: skip a few.
                if (ack == '$') throw new GdbProtocolException($"the stub answered packet '{Abbreviate(payload)}' without acknowledging it");
                ack = ReadByte(Deadline(), "the ack of packet '" + Abbreviate(payload) + "'");
            }
            if (ack == '+') return;
            if (attempt >= MaxRetransmits)
                throw new GdbProtocolException($"the stub rejected packet '{Abbreviate(payload)}' {attempt + 1} times ('-')");
        }
    }

    /// <summary>Sends the out-of-band interrupt byte (0x03), which stops a running target; no ack follows.</summary>
    public void SendInterrupt()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        WriteAll([0x03]);
    }

    /// <summary>Reads one packet within the connection timeout, acks it, and returns its decoded body.</summary>
    public byte[] Receive(string what) => Receive(Deadline(), what) ?? throw new GdbConnectionException(
        $"the gdbstub sent no {what} within {Timeout.TotalSeconds:0.###} s");

    /// <summary>Reads one packet before <paramref name="deadline"/> (UTC ticks); null when none started by then.</summary>
    public byte[]? TryReceive(TimeSpan wait, string what) => Receive(DateTime.UtcNow.Ticks + wait.Ticks, what, allowTimeout: true);

    private byte[]? Receive(long deadline, string what, bool allowTimeout = false)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        for (var attempt = 0; ; attempt++)
        {
            // Skip acks and noise up to the start of a packet.
            var junk = 0;
            while (true)
            {
                if (allowTimeout && _pos == _len && !WaitReadable(deadline)) return null;
                var b = ReadByte(deadline, what);
                if (b == '$') break;
                if (b != '+' && b != '-' && ++junk > MaxJunkBytes)
                    throw new GdbProtocolException($"more than {MaxJunkBytes} bytes of noise while waiting for the {what}");
            }
            // Once a packet has started, the rest must come within the normal timeout.
            var bodyDeadline = Math.Max(deadline, Deadline());
            var body = new List<byte>(64);
            while (true)
            {
                var b = ReadByte(bodyDeadline, what);
                if (b == '#') break;
                if (b == '$') throw new GdbProtocolException($"a '$' inside the {what} (a truncated packet followed by another)");
                if (body.Count >= MaxPacketBody)
                    throw new GdbProtocolException($"the {what} is longer than {MaxPacketBody} bytes (no '#' found)");
                body.Add(b);
            }
            int hi = RspCodec.HexValue(ReadByte(bodyDeadline, what)), lo = RspCodec.HexValue(ReadByte(bodyDeadline, what));
            var raw = body.ToArray();
            if (hi >= 0 && lo >= 0 && (hi << 4 | lo) == RspCodec.Checksum(raw))
            {
                WriteAll("+"u8);
                PacketsReceived++;
                return RspCodec.DecodeBody(raw);
            }
            WriteAll("-"u8);
            if (attempt >= MaxRetransmits)
                throw new GdbProtocolException($"bad checksum on the {what}, {attempt + 1} times in a row");
        }
    }

    private long Deadline() => DateTime.UtcNow.Ticks + Timeout.Ticks;

    /// <summary>Whether a byte can be read before <paramref name="deadline"/>. The socket is always polled at least
    /// once, even past the deadline: a check-then-read that found the socket readable must not then fail because the
    /// deadline passed in between (under load that raced, and a stop reply already here was reported as missing).</summary>
    private bool WaitReadable(long deadline)
    {
        while (true)
        {
            var remaining = Math.Max(0, deadline - DateTime.UtcNow.Ticks);
            var micro = (int)Math.Min(remaining / 10, int.MaxValue);
            try
            {
                if (_socket.Poll(micro, SelectMode.SelectRead)) return true;
            }
            catch (SocketException ex)
            {
                throw new GdbConnectionException($"gdbstub connection failed: {ex.Message}", ex);
            }
            if (DateTime.UtcNow.Ticks >= deadline) return false;
        }
    }

    private byte ReadByte(long deadline, string what)
    {
        if (_pos < _len) return _buffer[_pos++];
        if (!WaitReadable(deadline))
            throw new GdbConnectionException($"the gdbstub sent no {what} within {Timeout.TotalSeconds:0.###} s");
        int n;
        try
        {
            n = _socket.Receive(_buffer);
        }
        catch (SocketException ex)
        {
            throw new GdbConnectionException($"gdbstub connection failed while reading the {what}: {ex.Message}", ex);
        }
        if (n == 0) throw new GdbConnectionException($"the gdbstub closed the connection while the {what} was expected");
        _pos = 1;
        _len = n;
        return _buffer[0];
    }

    private void WriteAll(ReadOnlySpan<byte> bytes)
    {
        try
        {
            while (!bytes.IsEmpty)
            {
                if (!_socket.Poll((int)Math.Min(Timeout.Ticks / 10, int.MaxValue), SelectMode.SelectWrite))
                    throw new GdbConnectionException($"the gdbstub did not accept data within {Timeout.TotalSeconds:0.###} s");
                var n = _socket.Send(bytes);
                bytes = bytes[n..];
            }
        }
        catch (SocketException ex)
        {
            throw new GdbConnectionException($"gdbstub connection failed while sending: {ex.Message}", ex);
        }
    }

    internal static string Abbreviate(string payload) => payload.Length <= 40 ? payload : payload[..40] + "...";

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try { _socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { }
        _socket.Dispose();
    }
}
