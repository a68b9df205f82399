namespace Alkanet.Vmm.Guest;

/// <summary>Where live tracing keeps its cached files and finds the repository (for the plugin's source and guest/).</summary>
public static class AlkanetPaths
{
    /// <summary>The repository root (the folder holding Alkanet.slnx) above the working directory or the program, or null.</summary>
    public static string? RepositoryRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "Alkanet.slnx"))) return d.FullName;
        }
        return null;
    }

    /// <summary>$ALKANET_CACHE, else the repository's .cache (as scripts/setup.sh uses), else ~/.cache/alkanet.</summary>
    public static string Cache()
    {
        var env = Environment.GetEnvironmentVariable("ALKANET_CACHE");
        if (!string.IsNullOrEmpty(env)) return env;
        var root = RepositoryRoot();
        return root is not null ? Path.Combine(root, ".cache")
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "alkanet");
    }

    public static string LinuxGuest() => Path.Combine(Cache(), "linux-guest");
}
