using Alkanet.Introspection.Symbols;
using Alkanet.Introspection.TestKit.Boot;

namespace Alkanet.Benchmarks.Windows;

/// <summary><c>gen-windows-disk FILE ITERATIONS [wait-for-start]</c>: writes the kit's bootable synthetic Windows guest whose sample
/// repeats its round of calls ITERATIONS times (bench/live-windows-synthetic.sh boots it traced and untraced).
/// With <c>wait-for-start</c> the kernel idles before the sample until a key press (a snapshot's start signal:
/// bench/snapshot-start.sh). Prints the number of system calls the sample makes.</summary>
public static class SyntheticDiskGenerator
{
    public static int Run(string[] args)
    {
        var wait = args.Length == 4 && args[3] == "wait-for-start";
        if (args.Length is not (3 or 4) || (args.Length == 4 && !wait) || !int.TryParse(args[2], out var iterations) || iterations < 1)
        {
            Console.Error.WriteLine("usage: gen-windows-disk FILE ITERATIONS [wait-for-start]");
            return 2;
        }
        var isf = new ProfileStore(Path.Combine(Path.GetTempPath(), "alkanet-no-such-profiles")).LoadDefault();
        var disk = SyntheticWindowsBootDisk.Build(isf, new SyntheticBootOptions { Iterations = iterations, WaitForStartKey = wait });
        disk.WriteDiskImage(args[1]);
        Console.WriteLine(disk.ExpectedCalls.Count);
        return 0;
    }
}
