using Alkanet.Introspection.Symbols;
using Alkanet.Introspection.Syscalls;
using Alkanet.Introspection.Windows;

namespace Alkanet.Introspection.TestKit.Boot;

/// <summary>One Windows build the bootable guest can be: its kernel ISF (data/windows/symbols-builds, public
/// Volatility 3 tables, see the README there), the build number KUSER_SHARED_DATA reports and that build's call
/// table (the static table of its release, laid out in the guest's KiServiceTable).</summary>
public sealed record BuildProfile(int Build, string Release, string IsfFile, Version FileVersion)
{
    /// <summary>17763 (1809), 18363 (1909, the embedded ISF of the 18362 kernel), 19041 (2004), 22000 (11 21H2).</summary>
    public static IReadOnlyList<BuildProfile> All { get; } =
    [
        new(17763, "1809", "symbols-builds/ntkrnlmp.pdb_8B11040A5928757B11390AC78F6B6925-1.json.xz", new(10, 0, 17763, 379)),
        new(18363, "1909", "symbols/ntkrnlmp.pdb_E0093F3AEF15D58168B753C9488A4043-1.json.xz", new(10, 0, 18362, 418)),
        new(19041, "2004", "symbols-builds/ntkrnlmp.pdb_BBED7C2955FBE4522AAA23F4B8677AD9-1.json.xz", new(10, 0, 19041, 329)),
        new(22000, "11 21H2", "symbols-builds/ntkrnlmp.pdb_32C1A669D5FFEFD41091F636CFDB6E99-1.json.xz", new(10, 0, 22000, 318)),
    ];

    public static BuildProfile Of(int build) => All.Single(b => b.Build == build);

    /// <summary>The ISF's path in the repository (data/windows/...).</summary>
    public string IsfPath => Path.Combine(RepositoryRoot(), "data", "windows", IsfFile);

    public IsfFile LoadIsf() => Symbols.IsfFile.Load(IsfPath);

    public SyscallTable Table => WindowsSyscallTables.Instance.ByRelease(Release)
        ?? throw new InvalidOperationException($"no static system-call table for {Release}");

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Alkanet.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new FileNotFoundException("repository root (Alkanet.slnx) not found above " + AppContext.BaseDirectory);
    }
}
