using System.Globalization;
using Alkanet.Analysis.Events;

namespace Alkanet.Analysis.Model;

/// <summary>The sockets' uses the report joins capture flows to (<see cref="SocketUse"/>): each distinct (process, remote,
/// local port, protocol) once, at its first call, bounded so a flooding guest costs no more than
/// <see cref="MaxSocketUses"/> entries; and each open socket's protocol from the socket() that made it.</summary>
public sealed partial class Analyzer
{
    /// <summary>Bound on distinct socket uses kept; past it flows fall back to the address-only match.</summary>
    public const int MaxSocketUses = 65536;

    private readonly List<SocketUse> _socketUses = [];
    private readonly HashSet<(int, string, int, string?)> _socketUseKeys = [];
    private readonly Dictionary<(int Seq, string Fd), string> _socketProto = [];

    /// <summary>Every distinct connect/sendto of every process, in log order.</summary>
    public IReadOnlyList<SocketUse> SocketUses => _socketUses;

    /// <summary>socket(): SOCK_STREAM (1) is TCP, SOCK_DGRAM (2) UDP (the type's low bits; include/linux/net.h), as Suricata
    /// names a flow's protocol.</summary>
    private static void LxSocket(Analyzer a, CallEvent e, ProcessNode p)
    {
        if (e.Failed || !e.HasReturn || a._socketProto.Count >= MaxSocketUses) return;
        var fd = e.RetVal.ToString("x", CultureInfo.InvariantCulture);
        if (!ulong.TryParse(e["type"], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var type)) return;
        var proto = (type & 0xf) switch { 1 => "TCP", 2 => "UDP", _ => null };
        if (proto is null) a._socketProto.Remove((p.Seq, fd));
        else a._socketProto[(p.Seq, fd)] = proto;
    }

    private void NoteSocketUse(ProcessNode p, CallEvent e, string remote)
    {
        if (_socketUses.Count >= MaxSocketUses) return;
        var port = int.TryParse(e["local_port"], NumberStyles.None, CultureInfo.InvariantCulture, out var lp) ? lp : 0;
        var proto = e["fd"] is { } fd && _socketProto.TryGetValue((p.Seq, fd), out var pr) ? pr
            : e.Name == "sendto" && port > 0 ? "UDP" : null;
        if (!_socketUseKeys.Add((p.Seq, remote, port, proto))) return;
        _socketUses.Add(new SocketUse(p.Seq, remote, port, proto, e.TimestampNs, e.No, e.ExitNo));
    }
}
