using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Alkanet.Introspection.Symbols;

/// <summary>One symbol table the store knows, before it is loaded.</summary>
public sealed record ProfileEntry(string Name, string Source, bool Embedded, PdbIdentity? Pdb);

/// <summary>Where symbol tables live: the user's folder (<c>$ALKANET_PROFILES</c>, else
/// <c>$XDG_DATA_HOME/alkanet/profiles</c>, else <c>~/.local/share/alkanet/profiles</c>) and the ones embedded in
/// the library (the Windows 10 1909 kernel). A user adds a kernel build by importing its ISF file.</summary>
public sealed partial class ProfileStore
{
    private const string EmbeddedPrefix = "Alkanet.Windows.Symbols.";
    private readonly ConcurrentDictionary<string, IsfFile> _loaded = new(StringComparer.Ordinal);

    public ProfileStore(string? userFolder = null, bool includeEmbedded = true)
    {
        UserFolder = userFolder ?? DefaultUserFolder();
        IncludeEmbedded = includeEmbedded;
    }

    public string UserFolder { get; }

    public bool IncludeEmbedded { get; }

    public static string DefaultUserFolder()
    {
        var env = Environment.GetEnvironmentVariable("ALKANET_PROFILES");
        if (!string.IsNullOrEmpty(env)) return env;
        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        var root = !string.IsNullOrEmpty(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local",
            "share");
        return Path.Combine(root, "alkanet", "profiles");
    }

    /// <summary>Volatility's file naming: <c>PDBNAME_GUIDAGE.json[.xz]</c>, or with a dash before the age.</summary>
    [GeneratedRegex(@"^(?<db>.+?\.pdb)_(?<guid>[0-9A-Fa-f]{32})-?(?<age>[0-9A-Fa-f]+)\.json(\.xz)?$")]
    private static partial Regex PdbFileName();

    public static PdbIdentity? IdentityFromFileName(string fileName)
    {
        var m = PdbFileName().Match(fileName);
        return m.Success ? new PdbIdentity(m.Groups["db"].Value, m.Groups["guid"].Value.ToUpperInvariant(),
            Convert.ToInt32(m.Groups["age"].Value, 16)) : null;
    }

    /// <summary>Every profile, user ones first (a user file overrides an embedded one with the same identity).</summary>
    public IReadOnlyList<ProfileEntry> List()
    {
        var list = new List<ProfileEntry>();
        if (Directory.Exists(UserFolder))
        {
            foreach (var path in Directory.EnumerateFiles(UserFolder).Where(p => p.EndsWith(".json",
                StringComparison.Ordinal) || p.EndsWith(".json.xz", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(path);
                list.Add(new ProfileEntry(name, path, false, IdentityFromFileName(name)));
            }
        }
        if (IncludeEmbedded)
        {
            foreach (var res in typeof(ProfileStore).Assembly.GetManifestResourceNames().Where(r => r.StartsWith(EmbeddedPrefix,
                StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            {
                var name = res[EmbeddedPrefix.Length..];
                list.Add(new ProfileEntry(name, "embedded:" + name, true, IdentityFromFileName(name)));
            }
        }
        return list;
    }

    /// <summary>Loads a profile (cached after the first load).</summary>
    public IsfFile Load(ProfileEntry entry) => _loaded.GetOrAdd(entry.Source, _ =>
    {
        if (!entry.Embedded) return IsfFile.Load(entry.Source);
        using var stream = typeof(ProfileStore).Assembly.GetManifestResourceStream(EmbeddedPrefix + entry.Name)
            ?? throw new InvalidDataException($"embedded profile {entry.Name} is missing");
        using var ms = new MemoryStream();
        stream.CopyTo(ms);
        return IsfFile.Parse(ms.ToArray(), entry.Source);
    });

    /// <summary>The profile of the kernel whose debug record says <paramref name="guid"/>/<paramref name="age"/>, if any.
    /// Matches on the file name first (no parse), then on the metadata of files not named by identity.</summary>
    public IsfFile? FindByPdb(string guid, int age)
    {
        guid = guid.ToUpperInvariant();
        var entries = List();
        foreach (var e in entries)
            if (e.Pdb is { } id && id.Guid == guid && id.Age == age) return Load(e);
        foreach (var e in entries.Where(e => e.Pdb is null))
        {
            try
            {
                var isf = Load(e);
                if (isf.Pdb is { } id && id.Guid == guid && id.Age == age) return isf;
            }
            catch (InvalidDataException)
            {
                // A broken file in the folder must not hide the others; `profile list` reports it.
            }
        }
        return null;
    }

    /// <summary>The embedded default profile (Windows 10 1909 kernel).</summary>
    public IsfFile LoadDefault() => Load(List().First(e => e.Embedded));

    /// <summary>Checks an ISF file and copies it into the user folder under its identity's name. Nothing is written
    /// when the file does not load. Returns the new path.</summary>
    public string Import(string path)
    {
        var isf = IsfFile.Load(path);
        var name = Path.GetFileName(path);
        if (isf.Pdb is { } id && IdentityFromFileName(name) is null)
            name = $"{id.Database}_{id.Guid}-{id.Age}{(name.EndsWith(".xz", StringComparison.Ordinal) ? ".json.xz" : ".json")}";
        Directory.CreateDirectory(UserFolder);
        var target = Path.Combine(UserFolder, name);
        var temp = target + ".tmp-" + Environment.ProcessId;
        File.Copy(path, temp, overwrite: true);
        File.Move(temp, target, overwrite: true);
        _loaded.TryRemove(target, out _);
        return target;
    }
}
