using Alkanet.Introspection.Syscalls;

namespace Alkanet.Introspection.Linux;

/// <summary>
/// The Linux side of <c>alkanet syscalls</c>: two built-in tables of the 6.1 kernel, x86-64 of Debian 12's kernel
/// (<see cref="LinuxSyscallTable.X86_64"/>, data/linux/syscalls-x86_64.txt) and i386, the int 0x80 numbers
/// (<see cref="LinuxI386Table.Embedded"/>, data/linux/syscall_32.tbl; kind <c>i386</c>, also asked for as <c>ia32</c>
/// or <c>32</c>). Their "build" is the kernel version as major × 100 + minor (601). The x86-64 numbers are a stable user ABI (calls are only ever
/// appended), so another
/// version gets this table as a guess with a note; the live tracers never use it (they read the running kernel's
/// own sys_call_table).
/// </summary>
public sealed class LinuxSyscallTableSource : ISyscallTableSource
{
    public const int Build = 601;
    public const string Kind = "x86_64";
    public const string KindI386 = "i386";

    public static LinuxSyscallTableSource Instance { get; } = new();

    private readonly Lazy<SyscallTable> _table = new(() => new SyscallTable("linux", "6.1 (Debian 12, linux-image-6.1.0-56-amd64)", Build, Kind,
        LinuxSyscallTable.X86_64.Entries().Select(e => KeyValuePair.Create(e.Name, (uint)e.Number))));

    private readonly Lazy<SyscallTable> _i386 = new(() => new SyscallTable("linux", "6.1 (arch/x86/entry/syscalls/syscall_32.tbl)", Build, KindI386,
        LinuxI386Table.Embedded.ToTable().Entries().Select(e => KeyValuePair.Create(e.Name, (uint)e.Number))));

    private LinuxSyscallTableSource() { }

    public string Os => "linux";

    public IReadOnlyList<SyscallTable> Tables => [_table.Value, _i386.Value];

    public SyscallTableChoice? Choose(int build, string? kind = null)
    {
        var i386 = kind is KindI386 or "ia32" or "32";
        if (kind is not null && kind != Kind && kind != "64" && !i386) return null;
        var table = i386 ? _i386.Value : _table.Value;
        if (build == Build) return new SyscallTableChoice(table, true, null);
        return new SyscallTableChoice(table, false,
            $"no table for Linux {build / 100}.{build % 100}; using 6.1's {table.Kind} table (the numbers are a stable ABI, so calls 6.1 has keep " +
                $"their names; " +
            "newer calls are missing). Live tracing reads the running kernel's own table.");
    }
}
