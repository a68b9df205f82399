using Alkanet.Introspection.Symbols;
using Alkanet.Vmm.Gdb;

namespace Alkanet.Cli.Commands;

/// <summary>
/// The OS profiles <c>alkanet trace --os NAME</c> can decode with. A factory gets the attached, stopped VM
/// (registers, memory through a vCPU, read-only monitor commands) to find the kernel and its sites, and returns
/// the decoder. Windows and Linux are built in (see docs/GDBSTUB.md, "Wiring an OS profile"); tests register their own.
/// </summary>
public static class TraceDecoders
{
    private static readonly Dictionary<string, Func<GdbClient, TraceDecoderOptions, IHookDecoder>> Factories = new(StringComparer.OrdinalIgnoreCase)
    {
        // Kernel discovery from the IDT; symbol tables from $ALKANET_PROFILES (or the user folder) and the built-in 1909 one.
        ["windows"] = (client, _) => WindowsGdbDecoder.Discover(client, new ProfileStore()),
        // The live tracer's profile (--profile, --vmlinux/--kallsyms, else the analysis guest's cached one); the KASLR
        // slide is found through the stopped VM.
        ["linux"] = (client, options) =>
        {
            var (profile, source) = LinuxGdbProfiles.Resolve(options.ProfilePath, options.Vmlinux, options.Kallsyms);
            return LinuxGdbDecoder.Discover(client, profile, source);
        },
    };

    /// <summary>Why an OS named on the command line has no decoder in this build.</summary>
    private static readonly Dictionary<string, string> Missing = new(StringComparer.OrdinalIgnoreCase);

    public static void Register(string os, Func<GdbClient, IHookDecoder> factory) => Register(os, (client, _) => factory(client));

    /// <summary>Registers a factory that also gets the command's profile options.</summary>
    public static void Register(string os, Func<GdbClient, TraceDecoderOptions, IHookDecoder> factory)
    {
        lock (Factories) Factories[os] = factory;
    }

    public static bool Unregister(string os)
    {
        lock (Factories) return Factories.Remove(os);
    }

    /// <summary>The factory for <paramref name="os"/>, or null with the reason in <paramref name="why"/>.</summary>
    public static Func<GdbClient, IHookDecoder>? Find(string os, out string why) => Find(os, new TraceDecoderOptions(), out why);

    /// <summary>The factory for <paramref name="os"/> bound to <paramref name="options"/>, or null with the reason in <paramref name="why"/>.</summary>
    public static Func<GdbClient, IHookDecoder>? Find(string os, TraceDecoderOptions options, out string why)
    {
        lock (Factories)
        {
            if (Factories.TryGetValue(os, out var f)) { why = ""; return client => f(client, options); }
            why = Missing.TryGetValue(os, out var reason)
                ? $"--os {os}: {reason}"
                : $"--os {os}: unknown OS (known: {string.Join(", ", Missing.Keys.Concat(Factories.Keys).Distinct(StringComparer.OrdinalIgnoreCase).Order())})";
            return null;
        }
    }
}

/// <summary>What <c>alkanet trace</c> tells an OS factory about the kernel (Linux: <c>--profile</c>, <c>--vmlinux</c>,
/// <c>--kallsyms</c>); a factory ignores what it does not use.</summary>
public sealed record TraceDecoderOptions(string? ProfilePath = null, string? Vmlinux = null, string? Kallsyms = null);
