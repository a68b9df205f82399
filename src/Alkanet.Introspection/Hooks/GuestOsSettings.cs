namespace Alkanet.Introspection.Hooks;

/// <summary>What a hook tells an OS factory, as <c>key=value</c> pairs: the TCG plugin passes its arguments
/// (<c>profile=FILE</c>, <c>profiles=DIR</c>, <c>cr3=on</c>, <c>args=all|decoded</c>), <c>alkanet trace</c> its
/// options (<c>profile</c>, <c>vmlinux</c>, <c>kallsyms</c>, <c>cache</c>). A factory ignores what it does not use.</summary>
public sealed class GuestOsSettings(IReadOnlyDictionary<string, string> values)
{
    public static GuestOsSettings Empty { get; } = new(new Dictionary<string, string>());

    public IReadOnlyDictionary<string, string> Values { get; } = values;

    /// <summary>The value of <paramref name="key"/>, or null when absent or empty.</summary>
    public string? Get(string key) => Values.TryGetValue(key, out var v) && v.Length > 0 ? v : null;

    /// <summary>True when <paramref name="key"/> is <c>on</c>, <c>1</c> or <c>true</c>.</summary>
    public bool IsOn(string key) => Values.TryGetValue(key, out var v) && v is "on" or "1" or "true";
}
