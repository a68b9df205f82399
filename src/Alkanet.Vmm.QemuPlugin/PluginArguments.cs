using Alkanet.Introspection.Hooks;

namespace Alkanet.Vmm.QemuPlugin;

/// <summary>
/// The plugin's arguments, as QEMU passes them (<c>-plugin LIB,key=value,...</c>): <c>os=NAME</c> (default
/// <c>linux</c>), <c>ring=FILE</c> (required), <c>stage=hit|decode|full</c>, <c>ram=FILE</c> (guest RAM shared by
/// QEMU's memory-backend-file: the hook then walks page tables and reads RAM itself, see
/// <see cref="Introspection.Memory.RamFirstVirtualMemory"/>), and the OS's own settings
/// (<c>profile=FILE</c>, <c>profiles=DIR</c>, <c>cr3=on</c>, <c>args=all|decoded</c>, <c>capture=on|all|sample</c>,
/// <c>capture_sample=NAME</c>, <c>capture_call=BYTES</c>), which go to its factory.
/// Linux: <c>profile=FILE,ring=FILE[,cr3=on][,args=..][,stage=..]</c>;
/// Windows: <c>os=windows,ring=FILE[,profiles=DIR][,cr3=on][,args=..][,capture=on][,stage=..]</c>.
/// </summary>
internal sealed record PluginArguments(string Os, string RingPath, HookStage Stage, GuestOsSettings Settings)
{
    /// <summary>Guest RAM's file (<c>ram=FILE</c>), or null: every read through QEMU.</summary>
    public string? RamPath { get; init; }

    private static readonly string[] OsKeys = ["profile", "profiles", "cr3", "args", "capture", "capture_sample", "capture_call"];

    /// <summary>Parses <paramref name="args"/>; on bad input returns null with the reason in <paramref name="error"/>.</summary>
    public static PluginArguments? Parse(IEnumerable<string> args, out string error)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var arg in args)
        {
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            var key = eq < 0 ? arg : arg[..eq];
            if (key is not ("os" or "ring" or "stage" or "ram") && !OsKeys.Contains(key))
            {
                error = $"unknown argument '{arg}' (expected [os=NAME,]ring=FILE[,ram=FILE][,profile=FILE][,profiles=DIR][,cr3=on]"
                    + "[,args=all|decoded][,capture=on|all|sample][,capture_sample=NAME][,capture_call=BYTES]" +
                    "[,stage=hit|decode|full])";
                return null;
            }
            values[key] = eq < 0 ? "" : arg[(eq + 1)..];
        }
        var os = values.GetValueOrDefault("os", "linux");
        if (!values.TryGetValue("ring", out var ring) || ring.Length == 0)
        {
            error = $"os={os} needs ring=FILE";
            return null;
        }
        HookStage stage;
        switch (values.GetValueOrDefault("stage", "full"))
        {
            case "hit": stage = HookStage.Hit; break;
            case "decode": stage = HookStage.Decode; break;
            case "full": stage = HookStage.Full; break;
            case var other: error = $"unknown stage '{other}' (hit, decode or full)"; return null;
        }
        var settings = values.Where(kv => OsKeys.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        error = "";
        var ram = values.GetValueOrDefault("ram");
        if (ram is { Length: 0 })
        {
            error = "ram= needs a FILE (guest RAM's memory-backend-file)";
            return null;
        }
        return new PluginArguments(os, ring, stage, new GuestOsSettings(settings)) { RamPath = ram };
    }
}
