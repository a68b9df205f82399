namespace Alkanet.Introspection.Linux;

/// <summary>Where a Linux hook takes its <see cref="LinuxProfile"/> from, in this order:
/// <c>--profile FILE</c> (a profile the live tracer saved); <c>--vmlinux FILE --kallsyms FILE</c> (derived on the spot);
/// else the analysis guest's profile in the cache (<c>$ALKANET_CACHE/linux-guest/profile.txt</c>, which
/// <c>alkanet run</c> writes), derived there from the cached vmlinux and kallsyms when only those exist
/// (<c>scripts/setup.sh</c> fetches them). Whether the profile fits the running kernel is checked at attach
/// (<see cref="LinuxOs.Find"/>).</summary>
public static class LinuxProfileSource
{
    /// <summary>The profile and a short description of where it came from. Throws <see cref="InvalidOperationException"/>
    /// naming the file (and line) and how to get a profile when none can be had.</summary>
    /// <param name="guestDirectory">The analysis guest's cache (<c>$ALKANET_CACHE/linux-guest</c>), or null when the
    /// hook has none to offer (then a profile or vmlinux + kallsyms must be given).</param>
    public static (LinuxProfile Profile, string Source) Resolve(string? profilePath, string? vmlinux, string? kallsyms, string? guestDirectory)
    {
        if (profilePath is not null)
        {
            if (vmlinux is not null || kallsyms is not null)
                throw new InvalidOperationException("--profile and --vmlinux/--kallsyms both name the kernel: give one of them");
            return (Load(profilePath), profilePath);
        }
        if (vmlinux is not null || kallsyms is not null)
        {
            if (vmlinux is null || kallsyms is null)
                throw new InvalidOperationException("--vmlinux and --kallsyms go together (the kernel's ELF with BTF, and its symbols)");
            return (Build(vmlinux, kallsyms, Path.GetFileName(vmlinux)), $"derived from {vmlinux} and {kallsyms}");
        }
        if (guestDirectory is null)
            throw new InvalidOperationException("no Linux profile: give profile=FILE (a profile.txt saved by `alkanet run`)");
        // The analysis guest's files (Vmm's AnalysisGuest writes them under these names).
        var profileTxt = Path.Combine(guestDirectory, "profile.txt");
        var vmlinuxFile = Path.Combine(guestDirectory, "vmlinux");
        var kallsymsTxt = Path.Combine(guestDirectory, "kallsyms.txt");
        if (File.Exists(profileTxt))
        {
            var cached = Load(profileTxt);
            if (LinuxProfileBuilder.IsComplete(cached)) return (cached, profileTxt);
        }
        if (File.Exists(vmlinuxFile) && File.Exists(kallsymsTxt))
        {
            var package = Path.Combine(guestDirectory, "package");
            var built = Build(vmlinuxFile, kallsymsTxt, File.Exists(package) ? File.ReadAllText(package).Trim() : "unknown");
            try { built.Save(profileTxt); } // what alkanet run would have cached
            catch (IOException) { } // another process saving the same profile at once: this one is in memory anyway
            catch (UnauthorizedAccessException) { } // a read-only cache: the same
            return (built, profileTxt + " (derived now from the cached vmlinux and kallsyms)");
        }
        throw new InvalidOperationException(
            $"no Linux profile: the analysis guest's cache ({guestDirectory}) holds neither profile.txt nor vmlinux + kallsyms.txt. " +
            "Build it with `bash scripts/setup.sh` (or `alkanet run` once), pass --profile FILE (a profile.txt saved by `alkanet run`), " +
            "or --vmlinux FILE --kallsyms FILE (the VM kernel's ELF with BTF, and /proc/kallsyms of a nokaslr boot or its System.map)");
    }

    private static LinuxProfile Load(string path)
    {
        if (!File.Exists(path)) throw new InvalidOperationException($"--profile {path}: no such file");
        try
        {
            return LinuxProfile.Load(path);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidOperationException($"Linux profile {ex.Message}", ex);
        }
    }

    private static LinuxProfile Build(string vmlinux, string kallsyms, string release)
    {
        foreach (var f in new[] { vmlinux, kallsyms })
            if (!File.Exists(f)) throw new InvalidOperationException($"{f}: no such file");
        try
        {
            return LinuxProfileBuilder.Build(ElfImage.Load(vmlinux), Kallsyms.Load(kallsyms), release);
        }
        catch (Exception ex) when (ex is InvalidDataException or KeyNotFoundException or ArgumentException)
        {
            throw new InvalidOperationException($"cannot derive a Linux profile from {vmlinux} and {kallsyms}: {ex.Message}", ex);
        }
    }
}
