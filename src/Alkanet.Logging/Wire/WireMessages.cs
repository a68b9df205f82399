using System.Buffers;

namespace Alkanet.Logging.Wire;

/// <summary>tracer → logger, first frame.</summary>
/// <param name="StreamId">Identifies one tracer-side stream (a <c>LoggerClient</c> instance): a reconnect of the same
/// stream may resend what the logger already has; a new stream for an existing run must continue after it.</param>
public sealed record HelloMessage(
    string Token, string RunId, WireCompression Offered, string ClientName, string StreamId, int Version = WireLimits.ProtocolVersion)
{
    public const int MaxRunIdLength = 128;

    public byte[] ToFrame() => FrameWriter.Build(FrameType.Hello, w =>
    {
        w.WriteUInt32(WireLimits.Magic);
        w.WriteUInt16((ushort)Version);
        w.WriteString(Token);
        w.WriteString(RunId);
        w.WriteByte((byte)Offered);
        w.WriteString(ClientName);
        w.WriteString(StreamId);
    });

    public static HelloMessage Parse(ReadOnlySpan<byte> body)
    {
        var r = new WireReader(body);
        var magic = r.ReadUInt32("magic");
        if (magic != WireLimits.Magic) throw new ProtocolException($"not an Alkanet tracer (hello magic {magic:x8})");
        var version = r.ReadUInt16("version");
        if (version != WireLimits.ProtocolVersion)
            throw new ProtocolException($"unsupported protocol version {version} (this logger speaks {WireLimits.ProtocolVersion})");
        var token = r.ReadString("token", 1024);
        var runId = r.ReadString("run id", MaxRunIdLength);
        var offered = (WireCompression)r.ReadByte("compression");
        var client = r.ReadString("client name", 256);
        var stream = r.ReadString("stream id", 64);
        r.ExpectEnd("hello");
        if (!IsValidRunId(runId)) throw new ProtocolException($"bad run id '{runId}' (1-{MaxRunIdLength} characters of A-Z a-z 0-9 . _ -)");
        return new HelloMessage(token, runId, offered, client, stream, version);
    }

    /// <summary>Why <paramref name="runId"/> cannot be a run id (it names a file on the logger), or null when it can.</summary>
    public static string? RunIdProblem(string? runId) =>
        runId is not null && IsValidRunId(runId)
            ? null
            : $"run id '{runId}' is not valid: 1-{MaxRunIdLength} characters of A-Z a-z 0-9 . _ - " +
              "(not starting with '.'; it names a file on the logger)";

    /// <summary>Run ids name files: letters, digits, '.', '_' and '-' only, not starting with '.'.</summary>
    public static bool IsValidRunId(string runId) =>
        runId.Length is > 0 and <= MaxRunIdLength && runId[0] != '.'
        && runId.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}

/// <summary>logger → tracer: accepted. <see cref="LastDurableNo"/> is -1 for a new run.</summary>
public sealed record WelcomeMessage(WireCompression Compression, long LastDurableNo, int MaxFrameBytes)
{
    public byte[] ToFrame() => FrameWriter.Build(FrameType.Welcome, w =>
    {
        w.WriteByte((byte)Compression);
        w.WriteInt64(LastDurableNo);
        w.WriteUInt32((uint)MaxFrameBytes);
    });

    public static WelcomeMessage Parse(ReadOnlySpan<byte> body)
    {
        var r = new WireReader(body);
        var c = (WireCompression)r.ReadByte("compression");
        var last = r.ReadInt64("last durable no");
        var max = r.ReadUInt32("max frame");
        r.ExpectEnd("welcome");
        return new WelcomeMessage(c, last, (int)Math.Min(max, int.MaxValue));
    }
}

public sealed record RejectMessage(string Reason)
{
    public byte[] ToFrame() => FrameWriter.Build(FrameType.Reject, w => w.WriteString(Reason));

    public static RejectMessage Parse(ReadOnlySpan<byte> body)
    {
        var r = new WireReader(body);
        var reason = r.ReadString("reason", 4096);
        r.ExpectEnd("reject");
        return new RejectMessage(reason);
    }
}

public sealed record AckMessage(long DurableThroughNo)
{
    public byte[] ToFrame() => FrameWriter.Build(FrameType.Ack, w => w.WriteInt64(DurableThroughNo));

    public static AckMessage Parse(ReadOnlySpan<byte> body)
    {
        var r = new WireReader(body);
        var no = r.ReadInt64("ack no");
        r.ExpectEnd("ack");
        return new AckMessage(no);
    }
}

/// <summary>logger → tracer. <see cref="Filter"/> is set for <see cref="ControlCommand.SetFilter"/> only.</summary>
public sealed record ControlMessage(ControlCommand Command, uint RequestId = 0, RecordFilter? Filter = null)
{
    public byte[] ToFrame() => FrameWriter.Build(FrameType.Control, w =>
    {
        w.WriteByte((byte)Command);
        w.WriteUInt32(RequestId);
        if (Command != ControlCommand.SetFilter) return;
        var f = Filter ?? RecordFilter.All;
        w.WriteVarUInt((ulong)f.ProcessNames.Count);
        foreach (var n in f.ProcessNames) w.WriteString(n);
        w.WriteVarUInt((ulong)f.Pids.Count);
        foreach (var p in f.Pids) w.WriteVarUInt(p);
        w.WriteVarUInt((ulong)f.CallNames.Count);
        foreach (var n in f.CallNames) w.WriteString(n);
    });

    public static ControlMessage Parse(ReadOnlySpan<byte> body)
    {
        var r = new WireReader(body);
        var cmd = (ControlCommand)r.ReadByte("command");
        if (!Enum.IsDefined(cmd)) throw new ProtocolException($"unknown control command {(byte)cmd}");
        var id = r.ReadUInt32("request id");
        RecordFilter? filter = null;
        if (cmd == ControlCommand.SetFilter)
        {
            var procs = new string[r.ReadCount("process names", WireLimits.MaxListEntries)];
            for (var i = 0; i < procs.Length; i++) procs[i] = r.ReadString("process name", 1024);
            var pids = new ulong[r.ReadCount("pids", WireLimits.MaxListEntries)];
            for (var i = 0; i < pids.Length; i++) pids[i] = r.ReadVarUInt("pid");
            var calls = new string[r.ReadCount("call names", WireLimits.MaxListEntries)];
            for (var i = 0; i < calls.Length; i++) calls[i] = r.ReadString("call name", 1024);
            filter = new RecordFilter { ProcessNames = procs, Pids = pids, CallNames = calls };
        }
        r.ExpectEnd("control");
        return new ControlMessage(cmd, id, filter);
    }
}

/// <summary>tracer → logger: how the tracer is doing.</summary>
public sealed record StatusMessage(
    uint RequestId, TracerState State, double RecordsPerSecond, long RecordsWritten, long BufferedRecords,
    long BufferCapacity, long DroppedRecords, long LastAckedNo, string Filter)
{
    public byte[] ToFrame() => FrameWriter.Build(FrameType.Status, w =>
    {
        w.WriteUInt32(RequestId);
        w.WriteByte((byte)State);
        w.WriteDouble(RecordsPerSecond);
        w.WriteInt64(RecordsWritten);
        w.WriteInt64(BufferedRecords);
        w.WriteInt64(BufferCapacity);
        w.WriteInt64(DroppedRecords);
        w.WriteInt64(LastAckedNo);
        w.WriteString(Filter);
    });

    public static StatusMessage Parse(ReadOnlySpan<byte> body)
    {
        var r = new WireReader(body);
        var m = new StatusMessage(
            r.ReadUInt32("request id"), (TracerState)r.ReadByte("state"), r.ReadDouble("records/s"), r.ReadInt64("records written"),
            r.ReadInt64("buffered"), r.ReadInt64("capacity"), r.ReadInt64("dropped"), r.ReadInt64("last acked"), r.ReadString("filter", 64 * 1024));
        r.ExpectEnd("status");
        if (!Enum.IsDefined(m.State)) throw new ProtocolException($"unknown tracer state {(byte)m.State}");
        return m;
    }
}

/// <summary>tracer → logger: the run is complete through <see cref="LastNo"/>.</summary>
public sealed record ByeMessage(long LastNo)
{
    public byte[] ToFrame() => FrameWriter.Build(FrameType.Bye, w => w.WriteInt64(LastNo));

    public static ByeMessage Parse(ReadOnlySpan<byte> body)
    {
        var r = new WireReader(body);
        var no = r.ReadInt64("last no");
        r.ExpectEnd("bye");
        return new ByeMessage(no);
    }
}
