using Alkanet.Introspection.Symbols;
using Alkanet.Vmm.Gdb;

namespace Alkanet.Cli.Commands;

/// <summary>
/// The OS profiles <c>alkanet trace --os NAME</c> can decode with. A factory gets the attached, stopped VM
/// (registers, memory through a vCPU, read-only monitor commands) to find the kernel and its sites, and returns
/// the decoder. Windows is built in; the Linux profile registers here when it is merged
/// (see docs/GDBSTUB.md, "Wiring an OS profile"); tests register their own.
/// </summary>
public static class TraceDecoders
{
    private static readonly Dictionary<string, Func<GdbClient, IHookDecoder>> Factories = new(StringComparer.OrdinalIgnoreCase)
    {
        // Kernel discovery from the IDT; symbol tables from $ALKANET_PROFILES (or the user folder) and the built-in 1909 one.
        ["windows"] = client => WindowsGdbDecoder.Discover(client, new ProfileStore()),
    };

    /// <summary>Why an OS named on the command line has no decoder in this build.</summary>
    private static readonly Dictionary<string, string> Missing = new(StringComparer.OrdinalIgnoreCase)
    {
        ["linux"] = "the Linux OS profile (hook sites, task_struct offsets from BTF) is not part of this build yet",
    };

    public static void Register(string os, Func<GdbClient, IHookDecoder> factory)
    {
        lock (Factories) Factories[os] = factory;
    }

    public static bool Unregister(string os)
    {
        lock (Factories) return Factories.Remove(os);
    }

    /// <summary>The factory for <paramref name="os"/>, or null with the reason in <paramref name="why"/>.</summary>
    public static Func<GdbClient, IHookDecoder>? Find(string os, out string why)
    {
        lock (Factories)
        {
            if (Factories.TryGetValue(os, out var f)) { why = ""; return f; }
            why = Missing.TryGetValue(os, out var reason)
                ? $"--os {os}: {reason}"
                : $"--os {os}: unknown OS (known: {string.Join(", ", Missing.Keys.Concat(Factories.Keys).Distinct(StringComparer.OrdinalIgnoreCase).Order())})";
            return null;
        }
    }
}
