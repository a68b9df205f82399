namespace Alkanet.Introspection.Syscalls;

/// <summary>Where the system-call tables of one OS come from (Windows: generated from j00ru's tables; Linux: its
/// own source). <c>alkanet syscalls</c> and the profiles ask every registered source.</summary>
public interface ISyscallTableSource
{
    /// <summary>"windows", "linux".</summary>
    string Os { get; }

    /// <summary>Every table this source has (one per release and kind).</summary>
    IReadOnlyList<SyscallTable> Tables { get; }

    /// <summary>The table for <paramref name="build"/> (kind "nt"/"win32k" on Windows; sources with one kind ignore it),
    /// saying when no exact match exists and a neighbour was taken; null when nothing fits at all.</summary>
    SyscallTableChoice? Choose(int build, string? kind = null);
}

/// <summary>All registered sources, by OS. Sources add themselves with <see cref="Register"/>; Windows and Linux are built in.</summary>
public static class SyscallTableSources
{
    private static readonly List<ISyscallTableSource> Registered = [Windows.WindowsSyscallTables.Instance, Linux.LinuxSyscallTableSource.Instance];
    private static readonly Lock Gate = new();

    public static void Register(ISyscallTableSource source)
    {
        lock (Gate)
        {
            Registered.RemoveAll(s => string.Equals(s.Os, source.Os, StringComparison.OrdinalIgnoreCase));
            Registered.Add(source);
        }
    }

    public static IReadOnlyList<ISyscallTableSource> All
    {
        get { lock (Gate) return [.. Registered]; }
    }

    public static ISyscallTableSource? ForOs(string os)
    {
        lock (Gate) return Registered.FirstOrDefault(s => string.Equals(s.Os, os, StringComparison.OrdinalIgnoreCase));
    }
}
