using System.Diagnostics;
using Alkanet.Vmm.Host;

namespace Alkanet.Vmm.Guest;

/// <summary>Turns a SAMPLE argument into the bytes put into the guest as /sample/run: a directory or .c file is
/// compiled with <c>gcc -static</c> (cached by content), anything else (a static ELF, a #! script) is taken as is.</summary>
public static class SampleBuilder
{
    public static (string Name, byte[] Bytes) Load(string sample)
    {
        var full = Path.GetFullPath(sample);
        string[] sources;
        if (System.IO.Directory.Exists(full)) sources = System.IO.Directory.GetFiles(full, "*.c").Order(StringComparer.Ordinal).ToArray();
        else if (full.EndsWith(".c", StringComparison.Ordinal) && File.Exists(full)) sources = [full];
        else if (File.Exists(full)) return (Path.GetFileName(full), File.ReadAllBytes(full));
        else if (File.Exists(full + ".c")) sources = [full + ".c"];
        else throw new FileNotFoundException($"sample '{sample}' is not a file, a .c file or a directory of .c files");
        if (sources.Length == 0) throw new FileNotFoundException($"sample directory '{sample}' holds no .c file");
        var name = Path.GetFileNameWithoutExtension(full.TrimEnd('/'));
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(sources.SelectMany(File.ReadAllBytes).ToArray()))[..16];
        var outDir = Path.Combine(AlkanetPaths.Cache(), "samples");
        System.IO.Directory.CreateDirectory(outDir);
        var binary = Path.Combine(outDir, $"{name}-{hash}");
        if (!File.Exists(binary)) Compile(sources, binary);
        return (name, File.ReadAllBytes(binary));
    }

    /// <summary>Compiles one embedded C source to a static binary at <paramref name="output"/>.</summary>
    public static void CompileSource(byte[] source, string fileName, string output)
    {
        var dir = System.IO.Directory.CreateTempSubdirectory("alkanet-cc-");
        try
        {
            var src = Path.Combine(dir.FullName, fileName);
            File.WriteAllBytes(src, source);
            Compile([src], output);
        }
        finally { dir.Delete(true); }
    }

    private static void Compile(string[] sources, string output)
    {
        var gcc = HostTools.FindOnPath("gcc")
            ?? throw new PrerequisiteMissingException($"gcc (with libc6-dev, for static samples) is not installed; install it with: " +
                $"{PrerequisiteMissingException.InstallCommand}");
        var psi = new ProcessStartInfo(gcc) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-static", "-O2", "-Wall", "-o", output + ".partial" }) psi.ArgumentList.Add(a);
        foreach (var s in sources) psi.ArgumentList.Add(s);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidDataException($"compiling {string.Join(' ', sources)} failed:\n{err.Result}");
        File.Move(output + ".partial", output, overwrite: true);
    }
}
