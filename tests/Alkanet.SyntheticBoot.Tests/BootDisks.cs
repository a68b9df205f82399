using Alkanet.Introspection.Symbols;
using Alkanet.Introspection.TestKit.Boot;

namespace Alkanet.SyntheticBoot.Tests;

/// <summary>The embedded 1909 symbol table (the profile store's default) and a disk built from it.</summary>
internal static class BootDisks
{
    public static readonly Lazy<IsfFile> Nt1909 = new(() => new ProfileStore(Path.Combine(Path.GetTempPath(), "alkanet-no-such-profiles")).LoadDefault());

    public static SyntheticWindowsBootDisk Build(SyntheticBootOptions? options = null) => SyntheticWindowsBootDisk.Build(Nt1909.Value, options);
}
