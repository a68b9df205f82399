using System.Globalization;
using Alkanet.Introspection.Symbols;
using Alkanet.Introspection.TestKit.Boot;

namespace Alkanet.Benchmarks.SyntheticBoot;

/// <summary>`gen-synthetic-windows-disk FILE [ITERATIONS] [KERNEL_BASE_HEX] [kva]`: writes the bootable synthetic Windows
/// guest's disk image (TestKit/Boot) for bench/synthetic-boot.sh and manual runs, and prints its calls.</summary>
public static class SyntheticDiskGenerator
{
    public static int Run(string[] args)
    {
        var iterations = 1;
        var kernelBase = new SyntheticBootOptions().KernelBase;
        var ok = args.Length is >= 2 and <= 5
            && (args.Length < 5 || args[4] == "kva")
            && (args.Length < 3 || (int.TryParse(args[2], out iterations) && iterations >= 1))
            && (args.Length < 4 || ulong.TryParse(args[3].Replace("0x", "", StringComparison.OrdinalIgnoreCase), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out kernelBase));
        if (!ok)
        {
            Console.Error.WriteLine("usage: gen-synthetic-windows-disk FILE [ITERATIONS>=1] [KERNEL_BASE_HEX] [kva]");
            return 2;
        }
        var isf = new ProfileStore(Path.Combine(Path.GetTempPath(), "alkanet-no-such-profiles")).LoadDefault();
        var options = new SyntheticBootOptions { Iterations = iterations, KernelBase = kernelBase, KvaShadow = args.Length == 5 };
        SyntheticWindowsBootDisk disk;
        try { disk = SyntheticWindowsBootDisk.Build(isf, options); }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            Console.Error.WriteLine($"gen-synthetic-windows-disk: {e.Message}");
            return 1;
        }
                disk.WriteDiskImage(args[1]);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{args[1]}: kernel at 0x{disk.Guest.KernelBase:x}{(options.KvaShadow ? " (KVA shadow)" : "")}, guest window 0x{disk.WindowStart:x}-0x{disk.WindowEnd:x}, sample entry 0x{disk.SampleEntry:x}, {disk.ExpectedCalls.Count} calls ({iterations} rounds of {(disk.ExpectedCalls.Count - 1) / iterations} + NtTerminateProcess); boot with -m {SyntheticWindowsBootDisk.MemoryMiB} or more"));
        return 0;
    }
}
