namespace Alkanet.Introspection.Linux;

/// <summary>Finds the KASLR slide at translation time, without reading guest memory: an instruction whose
/// address is a hook site's link-time address plus a slide (a multiple of the 2 MiB alignment, under 1 GiB)
/// and whose following bytes equal that site's fingerprint is the site, and gives the slide for all.</summary>
public static class KaslrSlideFinder
{
    /// <summary>True when the code at <paramref name="address"/> (bytes from the site start, the first
    /// <see cref="LinuxProfile.FingerprintSkip"/> of which are ignored) is <paramref name="site"/>.</summary>
    public static bool TryMatch(LinuxLinkSite site, ulong address, ReadOnlySpan<byte> codeFromSite, out ulong slide)
    {
        slide = address - site.LinkAddress;
        if (address < site.LinkAddress || slide >= LinuxProfile.KaslrMaxSlide || slide % LinuxProfile.KaslrAlignment != 0) return false;
        var after = codeFromSite.Length > LinuxProfile.FingerprintSkip ? codeFromSite[LinuxProfile.FingerprintSkip..] : default;
        var n = Math.Min(after.Length, site.Fingerprint.Length);
        return n >= 6 && after[..n].SequenceEqual(site.Fingerprint.AsSpan(0, n));
    }

    /// <summary>For hooks that can read kernel memory before they place anything (gdbstub): tries every 2 MiB-aligned
    /// slide under 1 GiB and returns the one whose code at the site matches its fingerprint (at most 512 small reads).</summary>
    public static ulong? Scan(LinuxLinkSite site, Memory.IVirtualMemory kernel)
    {
        Span<byte> code = stackalloc byte[LinuxProfile.FingerprintSkip + 16];
        var want = code[..(LinuxProfile.FingerprintSkip + site.Fingerprint.Length)];
        for (var slide = 0UL; slide < LinuxProfile.KaslrMaxSlide; slide += LinuxProfile.KaslrAlignment)
        {
            if (kernel.Read(site.LinkAddress + slide, want) == want.Length && TryMatch(site, site.LinkAddress + slide, want, out var found))
                return found;
        }
        return null;
    }
}
