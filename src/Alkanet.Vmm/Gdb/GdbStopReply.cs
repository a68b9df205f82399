using System.Globalization;
using System.Text;

namespace Alkanet.Vmm.Gdb;

/// <summary>A thread id as the multiprocess protocol names it: "p01.02" (process 1, thread 2). QEMU's
/// system emulation gives every vCPU its own thread id, numbered from 1, so the vCPU index is tid - 1.</summary>
public readonly record struct GdbThreadId(long Process, long Thread)
{
    public int CpuIndex => (int)(Thread - 1);

    /// <summary>The wire form: "p1.2" with multiprocess, else "2".</summary>
    public string ToWire(bool multiprocess) => multiprocess
        ? $"p{Process.ToString("x", CultureInfo.InvariantCulture)}.{Thread.ToString("x", CultureInfo.InvariantCulture)}"
        : Thread.ToString("x", CultureInfo.InvariantCulture);

    public override string ToString() => ToWire(true);

    /// <summary>Parses "p01.02", "p1.-1", "02" or "-1"; false on anything else.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out GdbThreadId id)
    {
        id = default;
        long process = 1;
        if (text.StartsWith("p"))
        {
            var dot = text.IndexOf('.');
            if (dot < 0 || !TryParseId(text[1..dot], out process)) return false;
            text = text[(dot + 1)..];
        }
        if (!TryParseId(text, out var thread)) return false;
        id = new GdbThreadId(process, thread);
        return true;
    }

    private static bool TryParseId(ReadOnlySpan<char> text, out long value)
    {
        if (text is "-1") { value = -1; return true; }
        return long.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value) && value >= 0;
    }
}

public enum GdbStopKind
{
    /// <summary>'S' or 'T': the target stopped with a signal (5 = trap: breakpoint or step; 2 = interrupt).</summary>
    Signal,

    /// <summary>'W': the target exited (QEMU: the VM shut down).</summary>
    Exited,

    /// <summary>'X': the target was terminated by a signal.</summary>
    Terminated,
}

/// <summary>A parsed stop reply ("T05thread:p01.02;", "S05", "W00", "X09").</summary>
public sealed record GdbStopReply(GdbStopKind Kind, int Signal, GdbThreadId? Thread, string Raw)
{
    public const int SigTrap = 5;
    public const int SigInt = 2;

    public bool IsTrap => Kind == GdbStopKind.Signal && Signal == SigTrap;

    /// <exception cref="GdbProtocolException">not a stop reply.</exception>
    public static GdbStopReply Parse(byte[] packet)
    {
        var text = Encoding.ASCII.GetString(packet);
        if (text.Length < 3 || RspCodec.HexValue(packet[1]) < 0 || RspCodec.HexValue(packet[2]) < 0)
            throw new GdbProtocolException($"expected a stop reply, got '{RspConnection.Abbreviate(text)}'");
        var code = RspCodec.HexValue(packet[1]) << 4 | RspCodec.HexValue(packet[2]);
        switch (text[0])
        {
            case 'S':
                return new GdbStopReply(GdbStopKind.Signal, code, null, text);
            case 'W':
                return new GdbStopReply(GdbStopKind.Exited, code, null, text);
            case 'X':
                return new GdbStopReply(GdbStopKind.Terminated, code, null, text);
            case 'T':
                GdbThreadId? thread = null;
                foreach (var pair in text[3..].Split(';', StringSplitOptions.RemoveEmptyEntries))
                {
                    var colon = pair.IndexOf(':', StringComparison.Ordinal);
                    if (colon > 0 && pair.AsSpan(0, colon) is "thread")
                    {
                        if (!GdbThreadId.TryParse(pair.AsSpan(colon + 1), out var id))
                            throw new GdbProtocolException($"stop reply names a bad thread: '{RspConnection.Abbreviate(text)}'");
                        thread = id;
                    }
                }
                return new GdbStopReply(GdbStopKind.Signal, code, thread, text);
            default:
                throw new GdbProtocolException($"expected a stop reply, got '{RspConnection.Abbreviate(text)}'");
        }
    }
}
