using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Alkanet.Introspection.Cpu;
using Alkanet.Vmm.Gdb;

namespace Alkanet.Vmm.Tests.Gdb.Fakes;

/// <summary>Ways the fake stub misbehaves, for the client's error paths.</summary>
internal sealed class FakeRspFaults
{
    /// <summary>The first N replies go out with a wrong checksum (the client must NAK and get a retransmit).</summary>
    public int BadChecksumReplies { get; init; }

    /// <summary>The first N client packets are answered with '-' (the client must retransmit).</summary>
    public int NakPackets { get; init; }

    /// <summary>When a packet starting with this arrives, send half a reply and close the connection.</summary>
    public string? DisconnectMidReplyOn { get; init; }

    /// <summary>Which matching packet triggers <see cref="DisconnectMidReplyOn"/> (1 = the first).</summary>
    public int DisconnectAfterMatches { get; init; } = 1;

    /// <summary>When a packet starting with this arrives, ack it and never answer.</summary>
    public string? SilentOn { get; init; }

    /// <summary>When a packet starting with this arrives, answer with an endless body (no '#').</summary>
    public string? OversizedReplyOn { get; init; }

    /// <summary>Run-length encode the 'g' reply (QEMU does not, other stubs do).</summary>
    public bool RunLengthEncodeRegisters { get; init; }

    /// <summary>Replace the x86-64 description by one whose registers come in another order (rip first).</summary>
    public bool ShuffledLayout { get; init; }

    /// <summary>The first N single steps report a stop without moving RIP (QEMU under TCG was seen doing this once in
    /// about a dozen loaded runs; the client must notice and step again).</summary>
    public int StepsThatStay { get; init; }

    /// <summary>Every single step stays put (a stub that never makes progress: the client must give up clearly).</summary>
    public bool StepsNeverMove { get; init; }
}

/// <summary>
/// A small in-process GDB remote stub on loopback TCP speaking what QEMU's gdbstub speaks (qSupported,
/// target.xml, multiprocess thread ids, g/p/m, Z1/z1, vCont, qRcmd, D;1), serving <see cref="FakeGdbTarget"/>.
/// It records every packet it receives, so tests can prove what the client sent.
/// </summary>
internal sealed class FakeRspServer : IDisposable
{
    private static readonly string[] Gprs = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"];

    private readonly TcpListener _listener;
    private readonly FakeGdbTarget _target;
    private readonly FakeRspFaults _faults;
    private readonly Thread _thread;
    private readonly List<(string Name, int Bits)> _layout;
    private readonly string _targetXml, _coreXml;
    private readonly HashSet<ulong> _breakpoints = [];
    private Socket? _client;
    private volatile bool _stopping;
    private int _badChecksumsLeft, _naksLeft, _disconnectMatches, _stepsThatStayed;
    private int _gThread = 1;
    private int? _stoppedAtBreakpoint;

    public FakeRspServer(FakeGdbTarget target, FakeRspFaults? faults = null)
    {
        _target = target;
        _faults = faults ?? new FakeRspFaults();
        _badChecksumsLeft = _faults.BadChecksumReplies;
        _naksLeft = _faults.NakPackets;
        _layout = [.. Gprs.Select(n => (n, 64)), ("rip", 64), ("eflags", 32), ("cs", 32), ("ss", 32), ("ds", 32), ("es", 32),
            ("fs", 32), ("gs", 32), ("fs_base", 64), ("gs_base", 64), ("k_gs_base", 64), ("cr0", 64), ("cr2", 64), ("cr3", 64),
            ("cr4", 64), ("cr8", 64), ("efer", 64)];
        if (_faults.ShuffledLayout) _layout = [.. _layout.Where(r => r.Name == "rip"), .. _layout.Where(r => r.Name != "rip").Reverse()];
        _coreXml = "<?xml version=\"1.0\"?><!DOCTYPE feature SYSTEM \"gdb-target.dtd\"><feature name=\"org.gnu.gdb.i386.core\">"
            + string.Concat(_layout.Select((r, i) => $"<reg name=\"{r.Name}\" bitsize=\"{r.Bits}\"{(i == 0 ? " regnum=\"0\"" : "")} type=\"int\"/>"))
            + "</feature>";
        _targetXml = "<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\"><target><architecture>i386:x86-64</architecture>"
            + "<xi:include href=\"i386-64bit.xml\"/></target>";
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _thread = new Thread(Serve) { IsBackground = true, Name = "fake-rsp" };
        _thread.Start();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Every packet payload received, in order.</summary>
    public ConcurrentQueue<string> Received { get; } = new();

    public IReadOnlyCollection<ulong> Breakpoints { get { lock (_breakpoints) return [.. _breakpoints]; } }

    public bool Detached { get; private set; }

    public Exception? Failure { get; private set; }

    private void Serve()
    {
        try
        {
            using var client = _listener.AcceptSocket();
            client.NoDelay = true;
            _client = client;
            var reader = new Reader(client);
            string? lastReply = null;
            while (!_stopping)
            {
                var b = reader.Next();
                if (b < 0) return;
                if (b == '+') continue;
                if (b == '-')
                {
                    if (lastReply is null) continue;
                    var again = _badChecksumsLeft > 0;
                    if (again) _badChecksumsLeft--;
                    SendRaw(client, Frame(lastReply, again));
                    continue;
                }
                if (b == 0x03) continue; // interrupt while already stopped
                if (b != '$') continue;
                var body = new StringBuilder();
                int c;
                while ((c = reader.Next()) >= 0 && c != '#') body.Append((char)c);
                if (c < 0) return;
                reader.Next(); reader.Next();
                if (_naksLeft > 0) { _naksLeft--; SendRaw(client, "-"u8.ToArray()); continue; }
                SendRaw(client, "+"u8.ToArray());
                var payload = Encoding.ASCII.GetString(RspCodec.DecodeBody(Encoding.ASCII.GetBytes(body.ToString())));
                Received.Enqueue(payload);
                if (_faults.SilentOn is { } silent && payload.StartsWith(silent, StringComparison.Ordinal)) continue;
                if (_faults.DisconnectMidReplyOn is { } cut && payload.StartsWith(cut, StringComparison.Ordinal)
                    && ++_disconnectMatches >= _faults.DisconnectAfterMatches)
                {
                    SendRaw(client, "$0011223"u8.ToArray());
                    client.Shutdown(SocketShutdown.Both);
                    return;
                }
                if (_faults.OversizedReplyOn is { } big && payload.StartsWith(big, StringComparison.Ordinal))
                {
                    SendRaw(client, "$"u8.ToArray());
                    var chunk = Enumerable.Repeat((byte)'0', 64 * 1024).ToArray();
                    try { for (var i = 0; i < 8 && !_stopping; i++) SendRaw(client, chunk); } catch (SocketException) { }
                    continue;
                }
                foreach (var reply in Handle(payload, reader))
                {
                    if (reply is null) return;
                    // Like QEMU, a stop selects the stopping vCPU for g/p/m.
                    if (reply.StartsWith('T') && reply.Contains("thread:p01.", StringComparison.Ordinal))
                        _gThread = int.Parse(reply[(reply.IndexOf("thread:p01.", StringComparison.Ordinal) + 11)..].TrimEnd(';'), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    lastReply = reply;
                    var corrupt = _badChecksumsLeft > 0;
                    if (corrupt) _badChecksumsLeft--;
                    SendRaw(client, Frame(reply, corrupt));
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException
            || (ex is InvalidOperationException && _stopping)) // disposed before the accept started: "Not listening"
        {
            if (!_stopping) Failure = ex;
        }
    }

    /// <summary>Replies to one packet (several for qRcmd); a null reply closes the connection.</summary>
    private IEnumerable<string?> Handle(string p, Reader reader)
    {
        if (p.StartsWith("qSupported", StringComparison.Ordinal)) { yield return "PacketSize=1000;qXfer:features:read+;vContSupported+;multiprocess+"; yield break; }
        if (p.StartsWith("qXfer:features:read:", StringComparison.Ordinal)) { yield return Xfer(p); yield break; }
        if (p == "?") { yield return "T02thread:p01.01;"; yield break; }
        if (p == "qfThreadInfo") { yield return "m" + string.Join(',', _target.Cpus.Select((_, i) => $"p01.{i + 1:x2}")); yield break; }
        if (p == "qsThreadInfo") { yield return "l"; yield break; }
        if (p.StartsWith("Hg", StringComparison.Ordinal))
        {
            GdbThreadId.TryParse(p.AsSpan(2), out var id).ShouldBeTrue(p);
            _gThread = (int)id.Thread;
            yield return "OK";
            yield break;
        }
        if (p == "g") { yield return RegisterHex(); yield break; }
        if (p[0] == 'm') { yield return ReadMemory(p); yield break; }
        if (p[0] == 'P') { yield return WriteRegister(p); yield break; }
        if (p.StartsWith("Z1,", StringComparison.Ordinal) || p.StartsWith("z1,", StringComparison.Ordinal))
        {
            var addr = ulong.Parse(p.Split(',')[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            lock (_breakpoints) { if (p[0] == 'Z') _breakpoints.Add(addr); else _breakpoints.Remove(addr); }
            yield return "OK";
            yield break;
        }
        if (p == "vCont?") { yield return "vCont;c;C;s;S"; yield break; }
        if (p.StartsWith("vCont;s:", StringComparison.Ordinal))
        {
            GdbThreadId.TryParse(p.AsSpan(8), out var id).ShouldBeTrue(p);
            var cpu = id.CpuIndex;
            var s = _target.Cpus[cpu];
            if (_faults.StepsNeverMove || _stepsThatStayed++ < _faults.StepsThatStay)
            {
                yield return $"T05thread:p01.{cpu + 1:x2};";
                yield break;
            }
            s.Rip += (ulong)_target.StepLength;
            _target.Cpus[cpu] = s;
            if (_stoppedAtBreakpoint == cpu) _stoppedAtBreakpoint = null;
            yield return $"T05thread:p01.{cpu + 1:x2};";
            yield break;
        }
        if (p == "vCont;c" || p == "c") { yield return Resume(reader); yield break; }
        if (p.StartsWith("qRcmd,", StringComparison.Ordinal))
        {
            var command = Encoding.UTF8.GetString(Convert.FromHexString(p[6..]));
            yield return "O" + RspCodec.ToHex($"you asked: {command}\n");
            yield return "O" + RspCodec.ToHex($"IDT=     {_target.IdtBase:x16} 00000fff\n");
            yield return "OK";
            yield break;
        }
        if (p.StartsWith('D'))
        {
            Detached = true;
            lock (_breakpoints) _breakpoints.Clear();
            yield return "OK";
            yield break;
        }
        yield return "";
    }

    private string Resume(Reader reader)
    {
        lock (_breakpoints)
        {
            if (_stoppedAtBreakpoint is { } again && _breakpoints.Contains(_target.Cpus[again].Rip))
                return $"T05thread:p01.{again + 1:x2};"; // resumed on its breakpoint without moving: TCG hits it again
            _stoppedAtBreakpoint = null;
            while (_target.Script.TryDequeue(out var hit))
            {
                var state = hit.Arrive?.Invoke() ?? hit.State;
                state.CpuIndex = hit.Cpu;
                _target.Cpus[hit.Cpu] = state;
                if (!_breakpoints.Contains(state.Rip)) continue;
                _stoppedAtBreakpoint = hit.Cpu;
                return $"T05thread:p01.{hit.Cpu + 1:x2};";
            }
        }
        if (_target.ExitWhenScriptEnds) return "W00";
        while (true)
        {
            var b = reader.Next();
            if (b < 0) return null!;
            if (b == 0x03) return "T02thread:p01.01;";
        }
    }

    private string Xfer(string p)
    {
        var rest = p["qXfer:features:read:".Length..];
        var colon = rest.IndexOf(':', StringComparison.Ordinal);
        var annex = rest[..colon];
        var range = rest[(colon + 1)..].Split(',');
        var offset = int.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        var length = int.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        var text = annex switch { "target.xml" => _targetXml, "i386-64bit.xml" => _coreXml, _ => null };
        if (text is null) return "E00";
        if (offset >= text.Length) return "l";
        length = Math.Min(length, 100); // small chunks, so the client's 'm' continuation is exercised
        var part = text.Substring(offset, Math.Min(length, text.Length - offset));
        return (offset + part.Length >= text.Length ? "l" : "m") + part;
    }

    private string RegisterHex()
    {
        var s = _target.Cpus[_gThread - 1];
        var bytes = new List<byte>();
        Span<byte> eight = stackalloc byte[8];
        foreach (var (name, bits) in _layout)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(eight, Value(s, name));
            bytes.AddRange(eight[..(bits / 8)].ToArray());
        }
        var hex = Convert.ToHexStringLower(bytes.ToArray());
        return _faults.RunLengthEncodeRegisters ? RunLengthEncode(hex) : hex;
    }

    private static string RunLengthEncode(string hex)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < hex.Length;)
        {
            var j = i;
            while (j < hex.Length && hex[j] == hex[i] && j - i < 97) j++;
            var run = j - i;
            sb.Append(hex[i]);
            // Counts whose byte would be '#' or '$' (6, 7) are not allowed: emit those runs shorter.
            if (run > 3) { var extra = run - 1; if (extra + 29 is '#' or '$') extra = 5; sb.Append('*').Append((char)(extra + 29)); i += extra + 1; }
            else i++;
        }
        return sb.ToString();
    }

    private static ulong Value(VcpuState s, string name) => name switch
    {
        "rax" => s.Rax, "rbx" => s.Rbx, "rcx" => s.Rcx, "rdx" => s.Rdx, "rsi" => s.Rsi, "rdi" => s.Rdi, "rbp" => s.Rbp, "rsp" => s.Rsp,
        "r8" => s.R8, "r9" => s.R9, "r10" => s.R10, "r11" => s.R11, "r12" => s.R12, "r13" => s.R13, "r14" => s.R14, "r15" => s.R15,
        "rip" => s.Rip, "eflags" => s.Rflags, "cs" => s.Cs, "fs_base" => s.FsBase, "gs_base" => s.GsBase, "k_gs_base" => s.KernelGsBase,
        "cr0" => s.Cr0, "cr2" => s.Cr2, "cr3" => s.Cr3, "cr4" => s.Cr4, "efer" => s.Efer,
        _ => 0,
    };

    private string ReadMemory(string p)
    {
        var parts = p[1..].Split(',');
        var addr = ulong.Parse(parts[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        var len = int.Parse(parts[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        if (len > 2048) return "E22";
        var buffer = new byte[len];
        var memory = _target.MemoryOf?.Invoke(_target.Cpus[_gThread - 1]) ?? _target.Memory;
        var n = memory.Read(addr, buffer);
        return n == 0 ? "E14" : Convert.ToHexStringLower(buffer, 0, n);
    }

    private string WriteRegister(string p)
    {
        var eq = p.IndexOf('=', StringComparison.Ordinal);
        var number = int.Parse(p[1..eq], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        if (_layout[number].Name != "rip") return "E01";
        Span<byte> eight = stackalloc byte[8];
        eight.Clear();
        Convert.FromHexString(p[(eq + 1)..]).CopyTo(eight);
        var s = _target.Cpus[_gThread - 1];
        s.Rip = BinaryPrimitives.ReadUInt64LittleEndian(eight);
        _target.Cpus[_gThread - 1] = s;
        return "OK";
    }

    private static byte[] Frame(string reply, bool corrupt)
    {
        var body = Encoding.ASCII.GetBytes(reply);
        var sum = (byte)(RspCodec.Checksum(body) + (corrupt ? 1 : 0));
        return [(byte)'$', .. body, (byte)'#', .. Encoding.ASCII.GetBytes(sum.ToString("x2", CultureInfo.InvariantCulture))];
    }

    private static void SendRaw(Socket s, byte[] bytes) => s.Send(bytes);

    public void Dispose()
    {
        _stopping = true;
        _listener.Stop();
        try { _client?.Shutdown(SocketShutdown.Both); } catch (Exception ex) when (ex is SocketException or ObjectDisposedException) { }
        _client?.Dispose();
        _thread.Join(5000);
    }

    private sealed class Reader(Socket socket)
    {
        private readonly byte[] _buffer = new byte[4096];
        private int _pos, _len;

        public int Next()
        {
            if (_pos < _len) return _buffer[_pos++];
            _len = socket.Receive(_buffer);
            _pos = 0;
            return _len == 0 ? -1 : _buffer[_pos++];
        }
    }
}
