namespace Alkanet.Introspection.Windows;

/// <summary>
/// The views of a section each process mapped into itself (process EPROCESS, section object header → base, size), so
/// when it maps the same section into another process the hook can read the bytes at that call's EXIT: the other
/// process's pages are not in the caller's address space, but the caller's own view of the section holds the same
/// bytes. Shared by the decoders of one guest with the ENTER/EXIT pairing (<see cref="SyscallPairing.Views"/>), under
/// its lock; bounded (forgotten all at once when full: a view missed is a region not captured, said in the record).
/// </summary>
public sealed class SectionViews
{
    public const int MaxViews = 4096;
    private readonly Dictionary<(ulong Process, ulong Section), (ulong Base, ulong Size)> _views = [];

    public int Count => _views.Count;

    public void Mapped(ulong process, ulong section, ulong baseAddress, ulong size)
    {
        if (_views.Count >= MaxViews && !_views.ContainsKey((process, section))) _views.Clear();
        _views[(process, section)] = (baseAddress, size);
    }

    public bool TryGet(ulong process, ulong section, out ulong baseAddress, out ulong size)
    {
        var found = _views.TryGetValue((process, section), out var v);
        (baseAddress, size) = v;
        return found;
    }

    /// <summary>The caller unmapped <paramref name="baseAddress"/> from itself: its view no longer holds the bytes.</summary>
    public void Unmapped(ulong process, ulong baseAddress)
    {
        foreach (var (key, view) in _views)
            if (key.Process == process && view.Base == baseAddress) { _views.Remove(key); return; }
    }
}
