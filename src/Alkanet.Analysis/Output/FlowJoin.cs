using System.Globalization;
using Alkanet.Analysis.Model;

namespace Alkanet.Analysis.Output;

/// <summary>Joins a captured flow to the call that opened it. First by 5-tuple and time: a connect/sendto whose local port
/// is the flow's source port, whose remote address and port are the flow's responder, whose socket's protocol (when
/// known) is the flow's, made before the flow's first packet (the latest such call: a port reused later belongs to the
/// later call). Else by the responder address alone (every process that named it).</summary>
internal static class FlowJoin
{
    /// <summary>How far after a flow's first packet the call that opened it may seem to come: the hook's timestamp_ns and
    /// the capture's are both host clock readings, but taken at different points (a netprobe run,
    /// tests/Alkanet.Analysis.Tests/Fixtures/netprobe-run, shows a flow's SYN 1.7 s before its connect's ENTER under load).
    /// Ephemeral ports are not reused within seconds, so this loses nothing the time test is for (a port reused later).</summary>
    private const long SlackNs = 5_000_000_000;

    /// <summary>The calls by (remote, local port), so each flow looks at its own few.</summary>
    public static ILookup<(string Remote, int LocalPort), SocketUse> Index(IEnumerable<SocketUse> uses) =>
        uses.Where(u => u.LocalPort > 0).ToLookup(u => (u.Remote, u.LocalPort));

    /// <summary>The call of <paramref name="uses"/> that opened <paramref name="f"/> by 5-tuple and time, or null.</summary>
    public static SocketUse? ByFiveTuple(ReportFlow f, ILookup<(string Remote, int LocalPort), SocketUse> uses)
    {
        if (f.SrcPort == 0) return null;
        long? start = StartNs(f.Start);
        SocketUse? best = null;
        foreach (var u in uses[(Endpoint(f.Dst, f.DstPort), f.SrcPort)])
        {
            if (u.Proto is not null && !string.Equals(u.Proto, f.Proto, StringComparison.OrdinalIgnoreCase)) continue;
            if (start is { } s && u.Ns is { } ns && ns > s + SlackNs) continue; // made after the flow began: not its opener
            if (best is null || (u.Ns ?? long.MinValue) > (best.Ns ?? long.MinValue)) best = u;
        }
        return best;
    }

    /// <summary>"IP:PORT" as the records write it ("[IPv6]:PORT").</summary>
    public static string Endpoint(string ip, int port) => ip.Contains(':', StringComparison.Ordinal) ? $"[{ip}]:{port}" : $"{ip}:{port}";

    /// <summary>Suricata's flow start ("2026-12-06T09:40:00.123456+0000") as ns since the Unix epoch, or null.</summary>
    public static long? StartNs(string start)
    {
        if (start.Length < 5) return null;
        // .NET's offset pattern wants "+00:00"; Suricata writes "+0000".
        var tail = start[^5..];
        var text = tail[0] is '+' or '-' && tail[1..].All(char.IsAsciiDigit) ? $"{start[..^2]}:{start[^2..]}" : start;
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var t)
            ? (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100
            : null;
    }
}
