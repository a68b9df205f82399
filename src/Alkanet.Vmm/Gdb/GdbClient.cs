using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Alkanet.Introspection.Cpu;
using Alkanet.Introspection.Memory;

namespace Alkanet.Vmm.Gdb;

public sealed class GdbClientOptions
{
    /// <summary>Deadline of every exchange (reply, ack, connect).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest 'm' read per packet; QEMU refuses more than 2 KiB.</summary>
    public int MaxMemoryPerPacket { get; init; } = 2048;

    /// <summary>Trust that a stop makes the stopping vCPU the one 'g'/'m' act on, as QEMU does (gdb_set_stop_cpu),
    /// and skip the 'Hg' round trip after each stop. A live test checks it on the installed QEMU.</summary>
    public bool StopSelectsThread { get; init; } = true;
}

/// <summary>How <see cref="GdbClient.StepOver"/> got the vCPU past its breakpoint.</summary>
public enum StepOverMethod
{
    /// <summary>RIP advanced past a verified 5-byte NOP (one 'P' packet): what executing the NOP would do.</summary>
    RipAdvanced,

    /// <summary>Single-stepped only that vCPU ('vCont;s:thread'): the site held no NOP.</summary>
    SingleStepped,
}

/// <summary>
/// A GDB remote serial protocol client for QEMU's gdbstub (system emulation): handshake, register layout
/// from target.xml, registers into <see cref="VcpuState"/>, guest-virtual memory, hardware breakpoints,
/// continue/step/interrupt, monitor commands and detach. It only reads the guest: see <see cref="RspWriteGuard"/>.
/// Not thread-safe: one tracer thread owns it.
/// </summary>
public sealed class GdbClient : IDisposable
{
    /// <summary>The ftrace NOP every traceable kernel function starts with: nopl 0x0(%rax,%rax,1).</summary>
    public static ReadOnlySpan<byte> FtraceNop => Introspection.Cpu.X86Code.Nop5;

    private readonly GdbClientOptions _options;
    private GdbThreadId? _selectedG;
    private readonly Dictionary<string, string> _features = new(StringComparer.Ordinal);
    private GdbRegisterLayout? _layout;
    private bool _disposed;

    public GdbClient(RspConnection connection, GdbClientOptions? options = null)
    {
        Connection = connection;
        _options = options ?? new GdbClientOptions();
    }

    public static GdbClient Connect(string host, int port, GdbClientOptions? options = null, RspWriteGuard? guard = null)
    {
        options ??= new GdbClientOptions();
        var client = new GdbClient(RspConnection.Connect(host, port, options.Timeout, guard), options);
        try
        {
            client.Handshake();
            return client;
        }
        catch
        {
            client.Connection.Dispose();
            throw;
        }
    }

    public RspConnection Connection { get; }

    public IReadOnlyDictionary<string, string> Features => _features;

    /// <summary>The stub's PacketSize (bytes), 0 before the handshake.</summary>
    public int PacketSize { get; private set; }

    public bool Multiprocess { get; private set; }

    public bool VContSupported { get; private set; }

    public GdbRegisterLayout Layout => _layout ?? throw new InvalidOperationException("no register layout: call Handshake first");

    /// <summary>The stop that ended the last run (or the attach stop).</summary>
    public GdbStopReply? LastStop { get; private set; }

    /// <summary>True between a continue and the stop reply that ends it.</summary>
    public bool IsRunning { get; private set; }

    /// <summary>Request/reply exchanges so far (every packet sent).</summary>
    public long RoundTrips => Connection.PacketsSent;

    /// <summary>qSupported, the target description, and the attach stop ('?').</summary>
    public void Handshake()
    {
        var reply = Request("qSupported:multiprocess+;xmlRegisters=i386;vContSupported+");
        foreach (var feature in reply.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = feature.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0) _features[feature[..eq]] = feature[(eq + 1)..];
            else _features[feature.TrimEnd('+', '-', '?')] = feature[^1..];
        }
        PacketSize = _features.TryGetValue("PacketSize", out var size) && RspCodec.TryParseHexNumber(size, out var n) && n is >= 64 and <= 1 << 20
            ? (int)n : 4096;
        Multiprocess = _features.GetValueOrDefault("multiprocess") == "+";
        VContSupported = _features.GetValueOrDefault("vContSupported") == "+";
        if (_features.GetValueOrDefault("qXfer:features:read") != "+")
            throw new GdbProtocolException("the stub does not offer qXfer:features:read (no target description, so no register layout)");
        _layout = GdbRegisterLayout.Parse(ReadFeatureAnnex("target.xml"), ReadFeatureAnnex);
        if (_layout.Find("rip") is null || _layout.Find("rax") is null)
            throw new GdbProtocolException($"the target description ({_layout.Architecture ?? "no architecture"}) has no rip/rax: not an x86-64 " +
                $"target");
        Connection.Send("?");
        LastStop = GdbStopReply.Parse(Connection.Receive("reply to '?'"));
    }

    /// <summary>Sends a packet and returns its reply as text.</summary>
    public string Request(string payload)
    {
        if (IsRunning) throw new InvalidOperationException($"the target is running: stop it before sending '{payload}'");
        Connection.Send(payload);
        return Encoding.ASCII.GetString(Connection.Receive($"reply to '{RspConnection.Abbreviate(payload)}'"));
    }

    private string ReadFeatureAnnex(string annex)
    {
        if (annex.Length > 200 || annex.Any(c => c is ':' or ',' or '#' or '$' or '}' or '*' || c < ' ' || c > '~'))
            throw new GdbProtocolException($"target description names an unsafe annex '{RspConnection.Abbreviate(annex)}'");
        var text = new StringBuilder();
        var chunk = Math.Max(64, PacketSize - 16);
        while (true)
        {
            var reply = Request($"qXfer:features:read:{annex}:{text.Length:x},{chunk:x}");
            if (reply.Length == 0 || (reply[0] != 'm' && reply[0] != 'l'))
                throw new GdbProtocolException($"qXfer:features:read of {annex} failed: '{RspConnection.Abbreviate(reply)}'");
            text.Append(reply, 1, reply.Length - 1);
            if (reply[0] == 'l') return text.ToString();
            if (text.Length > 1 << 20) throw new GdbProtocolException($"target description {annex} is larger than 1 MiB");
        }
    }

    /// <summary>Every vCPU thread the stub lists.</summary>
    public IReadOnlyList<GdbThreadId> ListThreads()
    {
        var threads = new List<GdbThreadId>();
        var reply = Request("qfThreadInfo");
        while (reply.StartsWith('m'))
        {
            foreach (var id in reply[1..].Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                if (!GdbThreadId.TryParse(id, out var t)) throw new GdbProtocolException($"bad thread id '{id}' in the thread list");
                threads.Add(t);
            }
            if (threads.Count > 4096) throw new GdbProtocolException("the thread list never ends");
            reply = Request("qsThreadInfo");
        }
        if (reply != "l") throw new GdbProtocolException($"bad thread list reply '{RspConnection.Abbreviate(reply)}'");
        return threads;
    }

    /// <summary>Makes <paramref name="thread"/> the one 'g', 'p' and 'm' act on (sends Hg only when needed).</summary>
    public void SelectThread(GdbThreadId thread)
    {
        if (_selectedG == thread) return;
        ExpectOk(Request("Hg" + thread.ToWire(Multiprocess)), "Hg");
        _selectedG = thread;
    }

    /// <summary>The registers of <paramref name="thread"/>'s vCPU, mapped by name from the target description.</summary>
    public VcpuState ReadRegisters(GdbThreadId thread)
    {
        SelectThread(thread);
        Connection.Send("g");
        var hex = Connection.Receive("reply to 'g'");
        if (hex.Length > 0 && hex[0] == 'E' && hex.Length == 3)
            throw new GdbProtocolException($"'g' failed: {Encoding.ASCII.GetString(hex)}");
        var bytes = new byte[hex.Length / 2];
        if ((hex.Length & 1) != 0 || RspCodec.DecodeHex(hex, bytes, out _) != bytes.Length)
            throw new GdbProtocolException($"'g' reply is not hex ({hex.Length} characters)");
        return MapRegisters(Layout, bytes, thread.CpuIndex);
    }

    /// <summary>Fills a <see cref="VcpuState"/> from a 'g' image; registers past its end stay 0 and unflagged.</summary>
    public static VcpuState MapRegisters(GdbRegisterLayout layout, ReadOnlySpan<byte> g, int cpuIndex)
    {
        var s = new VcpuState { CpuIndex = cpuIndex };
        var general = R(layout, g, "rax", out s.Rax) & R(layout, g, "rbx", out s.Rbx) & R(layout, g, "rcx", out s.Rcx) & R(layout, g, "rdx",
            out s.Rdx)
            & R(layout, g, "rsi", out s.Rsi) & R(layout, g, "rdi", out s.Rdi) & R(layout, g, "rbp", out s.Rbp) & R(layout, g, "rsp", out s.Rsp)
            & R(layout, g, "r8", out s.R8) & R(layout, g, "r9", out s.R9) & R(layout, g, "r10", out s.R10) & R(layout, g, "r11", out s.R11)
            & R(layout, g, "r12", out s.R12) & R(layout, g, "r13", out s.R13) & R(layout, g, "r14", out s.R14) & R(layout, g, "r15", out s.R15)
            & R(layout, g, "rip", out s.Rip) & R(layout, g, "eflags", out s.Rflags);
        var segments = R(layout, g, "cs", out s.Cs) & R(layout, g, "fs_base", out s.FsBase) & R(layout, g, "gs_base", out s.GsBase);
        R(layout, g, "k_gs_base", out s.KernelGsBase);
        var control = R(layout, g, "cr0", out s.Cr0) & R(layout, g, "cr3", out s.Cr3) & R(layout, g, "cr4", out s.Cr4);
        R(layout, g, "cr2", out s.Cr2);
        R(layout, g, "efer", out s.Efer);
        if (general) s.Known |= KnownRegisters.General;
        if (segments) s.Known |= KnownRegisters.Segments;
        if (control) s.Known |= KnownRegisters.Control;
        return s;
    }

    private static bool R(GdbRegisterLayout layout, ReadOnlySpan<byte> g, string name, out ulong value)
    {
        value = 0;
        var r = layout.Find(name);
        if (r is null || r.Offset + r.ByteSize > g.Length) return false;
        Span<byte> eight = stackalloc byte[8];
        eight.Clear();
        g.Slice(r.Offset, Math.Min(8, r.ByteSize)).CopyTo(eight);
        value = BinaryPrimitives.ReadUInt64LittleEndian(eight);
        return true;
    }

    /// <summary>Reads guest-virtual memory through <paramref name="thread"/>'s page tables. Reads never cross a
    /// 4 KiB page within one packet, so a failed packet means an unmapped page and the count read so far is exact.</summary>
    public int ReadMemory(GdbThreadId thread, ulong address, Span<byte> destination)
    {
        SelectThread(thread);
        var max = Math.Clamp(Math.Min(_options.MaxMemoryPerPacket, PacketSize / 2), 1, 2048); // reply = 2 hex digits a byte
        var done = 0;
        while (done < destination.Length)
        {
            var at = address + (ulong)done;
            if (at < address) break; // wrapped past the top of the address space
            var toPageEnd = 0x1000 - (int)(at & 0xfff);
            var n = Math.Min(Math.Min(max, toPageEnd), destination.Length - done);
            Connection.Send(string.Create(CultureInfo.InvariantCulture, $"m{at:x},{n:x}"));
            var reply = Connection.Receive("reply to 'm'");
            if (reply.Length == 0 || (reply.Length == 3 && reply[0] == 'E')) break;
            var got = RspCodec.DecodeHex(reply, destination.Slice(done, n), out var unavailable);
            if (got < 0 || unavailable) throw new GdbProtocolException($"'m' reply at 0x{at:x} is not hex");
            if (reply.Length / 2 > n) throw new GdbProtocolException($"'m' reply at 0x{at:x} is longer than the {n} bytes asked for");
            done += got;
            if (got < n) break;
        }
        return done;
    }

    /// <summary>Guest-virtual memory as seen by <paramref name="thread"/>'s vCPU.</summary>
    public IVirtualMemory MemoryOf(GdbThreadId thread) => new GdbVirtualMemory(this, thread);

    /// <summary>Sets a hardware breakpoint (Z1) at <paramref name="address"/>.</summary>
    public void SetHardwareBreakpoint(ulong address) =>
        ExpectOk(Request(string.Create(CultureInfo.InvariantCulture, $"Z1,{address:x},1")), $"Z1 at 0x{address:x}");

    public void RemoveHardwareBreakpoint(ulong address) =>
        ExpectOk(Request(string.Create(CultureInfo.InvariantCulture, $"z1,{address:x},1")), $"z1 at 0x{address:x}");

    /// <summary>Resumes every vCPU; the stop comes later through <see cref="WaitForStop"/>.</summary>
    public void Continue()
    {
        if (IsRunning) return;
        Connection.Send(VContSupported ? "vCont;c" : "c");
        IsRunning = true;
        _selectedG = null; // the stop reply tells which vCPU is selected next
    }

    /// <summary>Waits up to <paramref name="wait"/> for the running target to stop; null if it is still running.</summary>
    public GdbStopReply? WaitForStop(TimeSpan wait)
    {
        if (!IsRunning) throw new InvalidOperationException("the target is not running");
        while (true)
        {
            var packet = Connection.TryReceive(wait, "stop reply");
            if (packet is null) return null;
            // 'O' packets are console output some stubs send while running.
            if (packet.Length > 0 && packet[0] == 'O' && packet.Length > 1 && packet[1] != 'K') continue;
            var stop = GdbStopReply.Parse(packet);
            IsRunning = false;
            LastStop = stop;
            if (_options.StopSelectsThread && stop.Thread is { Thread: > 0 } t) _selectedG = t;
            return stop;
        }
    }

    /// <summary>Stops a running target (0x03) and returns its stop reply.</summary>
    public GdbStopReply Interrupt()
    {
        if (!IsRunning) return LastStop ?? throw new InvalidOperationException("no stop state");
        Connection.SendInterrupt();
        return WaitForStop(Connection.Timeout)
            ?? throw new GdbConnectionException($"the target did not stop within {Connection.Timeout.TotalSeconds:0.###} s of an interrupt");
    }

    /// <summary>Single-steps only <paramref name="thread"/>'s vCPU (the others stay stopped).</summary>
    public GdbStopReply Step(GdbThreadId thread)
    {
        if (IsRunning) throw new InvalidOperationException("the target is running");
        Connection.Send(VContSupported ? "vCont;s:" + thread.ToWire(Multiprocess) : "s");
        IsRunning = true;
        _selectedG = null;
        return WaitForStop(Connection.Timeout)
            ?? throw new GdbConnectionException($"a single step did not finish within {Connection.Timeout.TotalSeconds:0.###} s");
    }

    /// <summary>
    /// Gets a vCPU stopped at its hardware breakpoint past it, so resuming does not hit it again (under TCG it
    /// would, forever). If the site holds the 5-byte ftrace NOP (verified with 'm' now, not trusted from earlier)
    /// and RIP is at the site, RIP is advanced by 5 — the only register write the guard ever permits; otherwise
    /// that vCPU alone is single-stepped.
    /// </summary>
    public StepOverMethod StepOver(GdbThreadId thread, ulong site, ulong currentRip)
    {
        if (StepOverVerifiedNop(thread, site, currentRip)) return StepOverMethod.RipAdvanced;
        for (var attempt = 1; ; attempt++)
        {
            var stop = Step(thread);
            if (stop.Kind != GdbStopKind.Signal)
                throw new GdbProtocolException($"the target ended during a single step: '{stop.Raw}'");
            // QEMU under TCG was seen (about once in a dozen runs on a loaded machine) to report a step's stop with the
            // vCPU still at the site; resuming then would report the same call twice. One 'g' per step makes sure.
            if (ReadRegisters(thread).Rip != site) return StepOverMethod.SingleStepped;
            if (attempt == MaxStepAttempts)
                throw new GdbProtocolException($"{MaxStepAttempts} single steps of vCPU {thread.ToWire(Multiprocess)} did not leave the hook site " +
                    $"0x{site:x}");
        }
    }

    /// <summary>Single steps tried before a hook site that does not let go is an error (QEMU's repeat is a one-off).</summary>
    public const int MaxStepAttempts = 4;

    /// <summary>Advances RIP past the verified NOP at <paramref name="site"/>; false (nothing sent) when RIP is not at
    /// the site or the bytes there are not exactly <c>0f 1f 44 00 00</c>.</summary>
    public bool StepOverVerifiedNop(GdbThreadId thread, ulong site, ulong currentRip)
    {
        if (currentRip != site) return false;
        Span<byte> code = stackalloc byte[5];
        if (ReadMemory(thread, site, code) != 5 || !code.SequenceEqual(FtraceNop)) return false;
        var rip = Layout.Find("rip")!;
        var payload = $"P{rip.Number:x}={RspCodec.ToTargetOrderHex(site + 5, rip.ByteSize)}";
        SelectThread(thread);
        Connection.Guard.ArmRipWrite(payload);
        try
        {
            var reply = Request(payload);
            if (reply.Length == 0) throw new GdbProtocolException("the stub does not support 'P' (register write) for the RIP step");
            ExpectOk(reply, "the RIP step");
        }
        finally
        {
            Connection.Guard.Disarm();
        }
        return true;
    }

    /// <summary>Runs a monitor command (qRcmd; the guard admits read-only "info ..." only) and returns its output.</summary>
    public string MonitorCommand(string command)
    {
        if (IsRunning) throw new InvalidOperationException("the target is running");
        Connection.Send("qRcmd," + RspCodec.ToHex(command));
        var output = new StringBuilder();
        while (true)
        {
            var reply = Connection.Receive($"output of monitor command '{command}'");
            if (reply is [(byte)'O', (byte)'K']) return output.ToString();
            if (reply.Length == 0) throw new GdbProtocolException("the stub does not support monitor commands (qRcmd)");
            if (reply.Length == 3 && reply[0] == 'E')
                throw new GdbProtocolException($"monitor command '{command}' failed: {Encoding.ASCII.GetString(reply)}");
            var hex = reply[0] == 'O' ? reply.AsSpan(1) : reply.AsSpan();
            var bytes = new byte[hex.Length / 2];
            if (RspCodec.DecodeHex(hex, bytes, out _) != bytes.Length || (hex.Length & 1) != 0)
                throw new GdbProtocolException($"monitor command output is not hex: '{RspConnection.Abbreviate(Encoding.ASCII.GetString(reply))}'");
            output.Append(Encoding.UTF8.GetString(bytes));
            if (output.Length > 1 << 20) throw new GdbProtocolException("monitor command output exceeds 1 MiB");
        }
    }

    /// <summary>The IDTR base from the monitor's <c>info registers</c> ("IDT=     BASE LIMIT"), which the gdbstub's
    /// register set lacks; OS discovery uses it to find the kernel (KASLR). Null when the output has no IDT line.
    /// QEMU's monitor shows its current CPU (the first unless changed), whose IDT base is the same for every vCPU
    /// on Linux and Windows only when the kernel uses one IDT; callers that need a given vCPU's must not rely on it.</summary>
    public ulong? ReadIdtBase()
    {
        foreach (var line in MonitorCommand("info registers").Split('\n'))
        {
            var t = line.TrimStart();
            if (!t.StartsWith("IDT=", StringComparison.Ordinal)) continue;
            var parts = t[4..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length > 0 && RspCodec.TryParseHexNumber(parts[0], out var b)) return b;
        }
        return null;
    }

    /// <summary>Stops the target if it runs, then detaches ('D;pid'): QEMU removes every breakpoint and resumes the VM.</summary>
    public void Detach()
    {
        if (IsRunning) Interrupt();
        var reply = Request(Multiprocess ? "D;1" : "D");
        ExpectOk(reply, "detach");
    }

    private static void ExpectOk(string reply, string what)
    {
        if (reply == "OK") return;
        throw new GdbProtocolException(reply.Length == 0
            ? $"{what}: the stub does not support this packet"
            : $"{what} failed: '{RspConnection.Abbreviate(reply)}'");
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Connection.Dispose();
    }
}

/// <summary><see cref="IVirtualMemory"/> over 'm' reads through one vCPU's page tables.</summary>
public sealed class GdbVirtualMemory(GdbClient client, GdbThreadId thread) : IVirtualMemory
{
    public GdbThreadId Thread => thread;

    public int Read(ulong virtualAddress, Span<byte> destination) => client.ReadMemory(thread, virtualAddress, destination);
}
