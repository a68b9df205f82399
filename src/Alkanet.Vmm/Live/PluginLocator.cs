using System.Diagnostics;
using Alkanet.Vmm.Guest;
using Alkanet.Vmm.Host;

namespace Alkanet.Vmm.Live;

/// <summary>Finds the NativeAOT plugin library: $ALKANET_QEMU_PLUGIN, else the cached build, published (≈ 10-30 s)
/// from the repository's src/Alkanet.Vmm.QemuPlugin when missing or older than its sources.</summary>
public static class PluginLocator
{
    public const string LibraryName = "alkanet_qemu_plugin.so";

    public static string Locate(Action<string>? log = null)
    {
        var env = Environment.GetEnvironmentVariable("ALKANET_QEMU_PLUGIN");
        if (!string.IsNullOrEmpty(env))
            return File.Exists(env) ? env : throw new PrerequisiteMissingException($"ALKANET_QEMU_PLUGIN names {env}, which does not exist");
        var outDir = Path.Combine(AlkanetPaths.Cache(), "plugin");
        var lib = Path.Combine(outDir, LibraryName);
        var root = AlkanetPaths.RepositoryRoot();
        if (root is null)
            return File.Exists(lib) ? lib :
                throw new PrerequisiteMissingException($"the QEMU plugin ({lib}) is not built and no Alkanet source tree is here to build it from; " +
                    $"set ALKANET_QEMU_PLUGIN");
        if (File.Exists(lib) && !SourcesNewerThan(root, File.GetLastWriteTimeUtc(lib))) return lib;
        Directory.CreateDirectory(outDir);
        // One publisher at a time (parallel tests, two runs), and the library is replaced by a rename: a QEMU
        // still running the old one keeps its mapping intact.
        using var gate = AcquireLock(Path.Combine(outDir, ".publish.lock"));
        if (File.Exists(lib) && !SourcesNewerThan(root, File.GetLastWriteTimeUtc(lib))) return lib;
        log?.Invoke("plugin: publishing src/Alkanet.Vmm.QemuPlugin (NativeAOT)");
        var staging = Path.Combine(outDir, "staging-" + Guid.NewGuid().ToString("N"));
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
        foreach (var a in new[] { "publish", Path.Combine(root, "src/Alkanet.Vmm.QemuPlugin"), "-c", "Release", "-o", staging, "--nologo", "-v",
            "q" }) psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            p.WaitForExit();
            var built = Path.Combine(staging, LibraryName);
            if (p.ExitCode != 0 || !File.Exists(built))
                throw new InvalidOperationException($"publishing the QEMU plugin failed (exit {p.ExitCode}):\n{stdout.Result}{stderr.Result}");
            File.Move(built, lib, overwrite: true);
            File.SetLastWriteTimeUtc(lib, DateTime.UtcNow);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, true);
        }
        return lib;
    }

    private static FileStream AcquireLock(string path)
    {
        for (var i = 0; ; i++)
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (i < 1200) { Thread.Sleep(250); }
        }
    }

    private static bool SourcesNewerThan(string root, DateTime built)
    {
        foreach (var dir in new[] { "src/Alkanet.Vmm.QemuPlugin", "src/Alkanet.Ring", "src/Alkanet.Introspection", "src/Alkanet.Core" })
        {
            var full = Path.Combine(root, dir);
            if (!System.IO.Directory.Exists(full)) continue;
            foreach (var f in System.IO.Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories))
            {
                if (f.Contains("/bin/", StringComparison.Ordinal) || f.Contains("/obj/", StringComparison.Ordinal)) continue;
                if (File.GetLastWriteTimeUtc(f) > built) return true;
            }
        }
        return false;
    }
}
