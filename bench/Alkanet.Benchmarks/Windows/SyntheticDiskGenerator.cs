using Alkanet.Introspection.Symbols;
using Alkanet.Introspection.TestKit.Boot;

namespace Alkanet.Benchmarks.Windows;

/// <summary><c>gen-windows-disk FILE ITERATIONS</c>: writes the kit's bootable synthetic Windows guest whose sample
/// repeats its round of calls ITERATIONS times (bench/live-windows-synthetic.sh boots it traced and untraced).
/// Prints the number of system calls the sample makes.</summary>
public static class SyntheticDiskGenerator
{
    public static int Run(string[] args)
    {
        if (args.Length != 3 || !int.TryParse(args[2], out var iterations) || iterations < 1)
        {
            Console.Error.WriteLine("usage: gen-windows-disk FILE ITERATIONS");
            return 2;
        }
        var isf = new ProfileStore(Path.Combine(Path.GetTempPath(), "alkanet-no-such-profiles")).LoadDefault();
        var disk = SyntheticWindowsBootDisk.Build(isf, new SyntheticBootOptions { Iterations = iterations });
        disk.WriteDiskImage(args[1]);
        Console.WriteLine(disk.ExpectedCalls.Count);
        return 0;
    }
}
