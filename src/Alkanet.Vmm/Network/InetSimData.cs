namespace Alkanet.Vmm.Network;

/// <summary>
/// The per-run INetSim data folder (<c>--data-dir</c>): a copy of Debian's <c>/var/lib/inetsim</c> (certificates, fake
/// files, mailboxes; about 400 KiB) with the project's fake files added (data/inetsim, embedded in Alkanet.Vmm): today
/// <see cref="StageFile"/>, which <see cref="InetSimConfig"/> serves for every URL ending in <c>.sh</c>, so a downloader
/// sample gets a harmless "next stage" it can run. The host's INetSim data are never changed.
/// </summary>
public static class InetSimData
{
    public const string DebianDataDirectory = "/var/lib/inetsim";

    /// <summary>The fake "next stage" script, by the name INetSim's configuration gives it.</summary>
    public const string StageFile = "alkanet-stage.sh";

    /// <summary>The stage's bytes (what a downloader gets; tests hash them).</summary>
    public static byte[] Stage()
    {
        using var s = typeof(InetSimData).Assembly.GetManifestResourceStream("inetsim/" + StageFile)
            ?? throw new InvalidOperationException($"inetsim/{StageFile} is not embedded in Alkanet.Vmm");
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }

    /// <summary>Makes <paramref name="directory"/> the run's data folder and returns it with the trailing slash INetSim
    /// appends its sub-paths to.</summary>
    public static string Prepare(string directory, string source = DebianDataDirectory)
    {
        if (!Directory.Exists(source))
            throw new InvalidOperationException($"INetSim's data folder {source} is missing (reinstall inetsim: scripts/setup.d/55-network.sh)");
        Copy(new DirectoryInfo(source), Directory.CreateDirectory(directory));
        var fake = Directory.CreateDirectory(Path.Combine(directory, "http", "fakefiles"));
        File.WriteAllBytes(Path.Combine(fake.FullName, StageFile), Stage());
        return Path.GetFullPath(directory).TrimEnd('/') + "/";
    }

    private static void Copy(DirectoryInfo from, DirectoryInfo to)
    {
        foreach (var f in from.GetFiles()) f.CopyTo(Path.Combine(to.FullName, f.Name), overwrite: true);
        foreach (var d in from.GetDirectories()) Copy(d, to.CreateSubdirectory(d.Name));
    }
}
