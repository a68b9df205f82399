using Alkanet.Introspection.Hooks;

namespace Alkanet.Vmm.QemuPlugin;

/// <summary>The sites discovery found, looked up by instruction address at translation time. A handful of sites: a
/// linear scan over a small array beats a hash here, and the index is what a callback's user data carries.</summary>
internal sealed class SiteTable(IReadOnlyList<HookSite> sites)
{
    private readonly HookSite[] _sites = [.. sites];
    private readonly ulong[] _addresses = [.. sites.Select(s => s.Address)];

    public static SiteTable Empty { get; } = new([]);

    public int Count => _sites.Length;

    /// <summary>The index of the site at <paramref name="address"/>, or -1.</summary>
    public int IndexOf(ulong address) => Array.IndexOf(_addresses, address);

    public ref readonly HookSite this[int index] => ref _sites[index];
}
