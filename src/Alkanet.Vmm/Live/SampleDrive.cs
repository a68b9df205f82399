namespace Alkanet.Vmm.Live;

/// <summary>The folder QEMU shows a Windows guest as its read-only sample drive (vvfat): \alkanet\ holds the sample
/// and run.cmd, which runs it and then powers Windows off (the image's own autorun task calls run.cmd;
/// docs/WINDOWS.md shows one).</summary>
internal static class SampleDrive
{
    /// <summary>An empty drive (a restored machine was saved with one; it must have the same devices).</summary>
    public static string Empty(string work) => Directory.CreateDirectory(Path.Combine(work, "sample-drive", "alkanet")).Parent!.FullName;

    /// <summary>Writes the drive's folder under <paramref name="work"/> and returns it; <paramref name="processName"/>
    /// is the program's name as Windows keeps it (EPROCESS.ImageFileName: at most 14 characters).</summary>
    public static string Write(string sample, string work, out string processName)
    {
        var root = Path.Combine(work, "sample-drive");
        var dir = Path.Combine(root, "alkanet");
        Directory.CreateDirectory(dir);
        string program;
        if (Directory.Exists(sample))
        {
            foreach (var f in Directory.EnumerateFiles(sample, "*", SearchOption.AllDirectories))
            {
                var to = Path.Combine(dir, Path.GetRelativePath(sample, f));
                Directory.CreateDirectory(Path.GetDirectoryName(to)!);
                File.Copy(f, to);
            }
            program = Directory.EnumerateFiles(sample, "*.exe").Select(Path.GetFileName).Order(StringComparer.Ordinal).FirstOrDefault()
                ?? throw new InvalidDataException($"the sample folder {Path.GetFullPath(sample)} has no .exe at its top level to run");
        }
        else
        {
            program = Path.GetFileName(sample);
            File.Copy(sample, Path.Combine(dir, program));
        }
        File.WriteAllText(Path.Combine(dir, "run.cmd"), $"@echo off\r\ncd /d \"%~dp0\"\r\n\"%~dp0{program}\"\r\nshutdown /s /t 0\r\n");
        File.WriteAllText(Path.Combine(dir, "sample.txt"), program + "\r\n");
        processName = program.Length > 14 ? program[..14] : program;
        return root;
    }
}
