using Alkanet.Introspection.Linux;
using Alkanet.Introspection.Windows;

namespace Alkanet.Introspection.Hooks;

/// <summary>The OSes a hook can trace, by name. A factory builds a fresh, not yet discovered <see cref="IGuestOs"/>
/// from the hook's settings; it throws <see cref="InvalidOperationException"/> naming what is missing or broken
/// (a profile file, say). Adding an OS is one line here; tests may register their own.</summary>
public static class GuestOsRegistry
{
    private static readonly Dictionary<string, Func<GuestOsSettings, IGuestOs>> Factories = new(StringComparer.OrdinalIgnoreCase)
    {
        ["linux"] = LinuxOs.Create,
        ["windows"] = WindowsOs.Create,
    };

    public static void Register(string name, Func<GuestOsSettings, IGuestOs> factory)
    {
        lock (Factories) Factories[name] = factory;
    }

    public static bool Unregister(string name)
    {
        lock (Factories) return Factories.Remove(name);
    }

    /// <summary>The registered names, sorted.</summary>
    public static IReadOnlyList<string> Names
    {
        get { lock (Factories) return [.. Factories.Keys.Order(StringComparer.OrdinalIgnoreCase)]; }
    }

    /// <summary>The factory for <paramref name="name"/>, or null with the reason in <paramref name="why"/>.</summary>
    public static Func<GuestOsSettings, IGuestOs>? Find(string name, out string why)
    {
        lock (Factories)
        {
            if (Factories.TryGetValue(name, out var factory)) { why = ""; return factory; }
            why = $"unknown OS '{name}' (known: {string.Join(", ", Factories.Keys.Order(StringComparer.OrdinalIgnoreCase))})";
            return null;
        }
    }
}
