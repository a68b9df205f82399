using System.Text.Json;

namespace Alkanet.Vmm.Network;

/// <summary>Which process opened each flow: the run's connect/sendto ENTER records carry the remote address
/// ("IP:PORT"); a flow's responder address (Suricata's dest_ip:dest_port) is matched to them, earliest record first.
/// The source port is not in those records, so two processes talking to the same address share the match (named
/// together). trace.jsonl is the run's own output, read line by line; a line that does not parse is skipped.</summary>
public static class FlowProcesses
{
    /// <summary>"IP:PORT" → the processes ("name (pid hex)") that connected or sent to it, in trace order.</summary>
    public static Dictionary<string, List<string>> ByRemote(string tracePath)
    {
        var map = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        if (!File.Exists(tracePath)) return map;
        foreach (var line in File.ReadLines(tracePath))
        {
            if (!line.Contains("remote_address", StringComparison.Ordinal)) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var r = doc.RootElement;
                if (Str(r, "logtype") != "ENTER" || Str(r, "name") is not ("connect" or "sendto" or "sendmsg")) continue;
                if (!r.TryGetProperty("additional_info", out var info) || Str(info, "remote_address") is not { Length: > 0 } remote) continue;
                var who = $"{Str(r, "proc_name")} (pid {Str(r, "proc_pid")})";
                if (!map.TryGetValue(remote, out var list)) map[remote] = list = [];
                if (!list.Contains(who)) list.Add(who);
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
