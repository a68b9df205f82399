using System.Diagnostics;

namespace Alkanet.Logging.Tests.Faults;

/// <summary>A real small file system (tmpfs of a fixed size) that fills up: the disk-full fault without injection.
/// Needs the right to mount (root, as on the development machines and CI); <see cref="TryMount"/> says when it is missing.</summary>
internal sealed class Tmpfs : IDisposable
{
    private Tmpfs(string path) => Path = path;

    public string Path { get; }

    public static Tmpfs? TryMount(int megabytes, out string why)
    {
        var dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "alkanet-tmpfs-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(dir);
        var (code, output) = Run("mount", "-t", "tmpfs", "-o", $"size={megabytes}m", "tmpfs", dir);
        why = code == 0 ? "" : $"mount -t tmpfs failed ({output.Trim()})";
        if (code == 0) return new Tmpfs(dir);
        Directory.Delete(dir);
        return null;
    }

    /// <summary>The disk "recovers": more room, the files stay.</summary>
    public void Resize(int megabytes)
    {
        var (code, output) = Run("mount", "-o", $"remount,size={megabytes}m", Path);
        code.ShouldBe(0, output);
    }

    public long FreeBytes => new DriveInfo(Path).AvailableFreeSpace;

    private static (int Code, string Output) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (-1, ex.Message);
        }
    }

    public void Dispose()
    {
        Run("umount", "-l", Path);
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
