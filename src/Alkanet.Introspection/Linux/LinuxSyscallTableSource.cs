using Alkanet.Introspection.Syscalls;

namespace Alkanet.Introspection.Linux;

/// <summary>
/// The Linux side of <c>alkanet syscalls</c>: one built-in table, x86-64 of Debian 12's 6.1 kernel
/// (<see cref="LinuxSyscallTable.X86_64"/>, data/linux/syscalls-x86_64.txt). Its "build" is the kernel version as
/// major × 100 + minor (601). The x86-64 numbers are a stable user ABI (calls are only ever appended), so another
/// version gets this table as a guess with a note; the live tracers never use it (they read the running kernel's
/// own sys_call_table).
/// </summary>
public sealed class LinuxSyscallTableSource : ISyscallTableSource
{
    public const int Build = 601;
    public const string Kind = "x86_64";

    public static LinuxSyscallTableSource Instance { get; } = new();

    private readonly Lazy<SyscallTable> _table = new(() => new SyscallTable("linux", "6.1 (Debian 12, linux-image-6.1.0-56-amd64)", Build, Kind,
        LinuxSyscallTable.X86_64.Entries().Select(e => KeyValuePair.Create(e.Name, (uint)e.Number))));

    private LinuxSyscallTableSource() { }

    public string Os => "linux";

    public IReadOnlyList<SyscallTable> Tables => [_table.Value];

    public SyscallTableChoice? Choose(int build, string? kind = null)
    {
        if (kind is not null && kind != Kind && kind != "64") return null; // 32-bit (int 0x80) names are not built in
        var table = _table.Value;
        if (build == Build) return new SyscallTableChoice(table, true, null);
        return new SyscallTableChoice(table, false,
            $"no table for Linux {build / 100}.{build % 100}; using 6.1's x86-64 table (the numbers are a stable ABI, so calls 6.1 has keep their names; " +
            "newer calls are missing). Live tracing reads the running kernel's own table.");
    }
}
