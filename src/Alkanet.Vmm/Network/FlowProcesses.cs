using System.Globalization;
using System.Text.Json;

namespace Alkanet.Vmm.Network;

/// <summary>Which process opened each flow, for network.json. The run's connect/sendto/sendmsg ENTER records carry the
/// remote address ("IP:PORT"); their EXIT (same thread, next record of that call) carries the socket's <c>local_port</c>
/// (docs/RECORD.md). A flow is named by its 5-tuple (responder address and port, source port) when a call gave that
/// port, else by the responder address alone (every process that named it). The report makes the finer join (protocol
/// and time, docs/REPORT.md); this one names processes for other tools reading network.json. trace.jsonl is the run's own
/// output, read line by line; a line that does not parse is skipped.</summary>
public sealed class FlowProcesses
{
    /// <summary>"IP:PORT" → the processes ("name (pid hex)") that connected or sent to it, in trace order.</summary>
    public Dictionary<string, List<string>> ByRemote { get; } = new(StringComparer.Ordinal);

    /// <summary>("IP:PORT", local port) → the process whose call had that local end (the first one: a flow's opener).</summary>
    public Dictionary<(string Remote, int LocalPort), string> ByTuple { get; } = [];

    /// <summary>The processes of a flow from the guest's <paramref name="srcPort"/> to <paramref name="remote"/>, and how
    /// they were found: "5-tuple", "address", or null (none).</summary>
    public (IReadOnlyList<string> Who, string? Match) Of(string remote, int srcPort) =>
        ByTuple.TryGetValue((remote, srcPort), out var one) ? ([one], "5-tuple")
        : ByRemote.TryGetValue(remote, out var all) ? (all, "address")
        : ([], null);

    public static FlowProcesses Read(string tracePath)
    {
        var map = new FlowProcesses();
        if (!File.Exists(tracePath)) return map;
        var pending = new Dictionary<string, (string Remote, string Who)>(StringComparer.Ordinal); // by thread
        foreach (var line in File.ReadLines(tracePath))
        {
            if (!line.Contains("remote_address", StringComparison.Ordinal) && !line.Contains("local_port", StringComparison.Ordinal)) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var r = doc.RootElement;
                if (Str(r, "name") is not ("connect" or "sendto" or "sendmsg") || !r.TryGetProperty("additional_info", out var info)) continue;
                var who = $"{Str(r, "proc_name")} (pid {Str(r, "proc_pid")})";
                var tid = Str(r, "proc_tid");
                if (Str(r, "logtype") == "ENTER")
                {
                    if (Str(info, "remote_address") is not { Length: > 0 } remote) { pending.Remove(tid); continue; }
                    pending[tid] = (remote, who);
                    if (!map.ByRemote.TryGetValue(remote, out var list)) map.ByRemote[remote] = list = [];
                    if (!list.Contains(who)) list.Add(who);
                }
                else if (pending.Remove(tid, out var call)
                    && int.TryParse(Str(info, "local_port"), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port > 0)
                {
                    map.ByTuple.TryAdd((call.Remote, port), call.Who);
                }
            }
            catch (JsonException)
            {
                // a torn last line of a killed run
            }
        }
        return map;
    }

    private static string Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
}
