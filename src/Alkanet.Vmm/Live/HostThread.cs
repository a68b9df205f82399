using System.Runtime.InteropServices;

namespace Alkanet.Vmm.Live;

/// <summary>Linux thread niceness (per thread on Linux): the ring drain lowers its own so QEMU's vCPU threads
/// win a contended CPU. Lowering needs no privilege; failure is ignored (the drain just keeps its priority).</summary>
internal static partial class HostThread
{
    private const int PrioProcess = 0;
    private const long SysGettid = 186;

    public static void LowerPriority(int nice)
    {
        if (nice <= 0 || !OperatingSystem.IsLinux()) return;
        var tid = (int)syscall(SysGettid);
        _ = setpriority(PrioProcess, tid, Math.Min(nice, 19));
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setpriority(int which, int who, int prio);

    [LibraryImport("libc", SetLastError = true)]
    private static partial long syscall(long number);
}
