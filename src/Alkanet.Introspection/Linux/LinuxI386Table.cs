using System.Globalization;

namespace Alkanet.Introspection.Linux;

/// <summary>
/// The 32-bit (int 0x80) call table as the kernel source declares it: arch/x86/entry/syscalls/syscall_32.tbl
/// ("NUMBER ABI NAME [ENTRY [COMPAT_ENTRY]]"), shipped as data/linux/syscall_32.tbl. Needed because a kernel with
/// the 2024 branch-history fix (6.1.90 and later, Debian's 6.1 among them) dispatches int 0x80 through a switch in
/// <c>ia32_sys_call</c> and keeps no <c>ia32_sys_call_table</c> to read. On x86-64 the call runs
/// <c>__ia32_COMPAT_ENTRY</c> when the line has one, else <c>__ia32_ENTRY</c>; <see cref="CrossCheck"/> looks those
/// up in the guest's own symbols, so a table that does not fit the kernel is reported, not silently trusted.
/// </summary>
public sealed class LinuxI386Table
{
    /// <summary>One call: its user-visible name and the kernel function it runs on x86-64 (null: not implemented).</summary>
    public sealed record Entry(int Number, string Name, string? EntryPoint);

    public const string ResourceName = "data/linux/syscall_32.tbl";
    private const string NotImplemented = "sys_ni_syscall";

    private static readonly Lazy<LinuxI386Table> s_embedded = new(LoadEmbedded);

    public IReadOnlyList<Entry> Entries { get; }

    private LinuxI386Table(List<Entry> entries) => Entries = entries;

    /// <summary>The 6.1.y table embedded from data/linux/syscall_32.tbl.</summary>
    public static LinuxI386Table Embedded => s_embedded.Value;

    /// <summary>Parses syscall_32.tbl text (whitespace-separated columns, '#' comments).</summary>
    public static LinuxI386Table Parse(TextReader reader, string source)
    {
        var entries = new List<Entry>();
        var seen = new HashSet<int>();
        var lineNo = 0;
        string? line;
        while ((line = reader.ReadLine()) != null)
        {
            lineNo++;
            var t = line.Trim();
            if (t.Length == 0 || t[0] == '#') continue;
            var w = t.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (w.Length is < 3 or > 5 || !int.TryParse(w[0], NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > 4096)
                throw new InvalidDataException($"{source}:{lineNo}: expected 'NUMBER ABI NAME [ENTRY [COMPAT_ENTRY]]'");
            if (w[1] != "i386") throw new InvalidDataException($"{source}:{lineNo}: ABI '{w[1]}' is not i386");
            if (!seen.Add(n)) throw new InvalidDataException($"{source}:{lineNo}: call number {n} appears twice");
            var entry = w.Length switch { 5 => w[4], 4 => w[3], _ => null };
            entries.Add(new Entry(n, w[2], entry is null or NotImplemented ? null : entry));
        }
        if (entries.Count == 0) throw new InvalidDataException($"{source}: no call in the table");
        return new LinuxI386Table(entries);
    }

    private static LinuxI386Table LoadEmbedded()
    {
        using var s = typeof(LinuxI386Table).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"{ResourceName} is not embedded in Alkanet.Introspection");
        using var r = new StreamReader(s);
        return Parse(r, ResourceName);
    }

    /// <summary>Number to name for every implemented call (the names are the table's, e.g. <c>mmap2</c>, <c>_llseek</c>).</summary>
    public LinuxSyscallTable ToTable(IReadOnlySet<int>? leaveOut = null)
    {
        var names = new List<string?>();
        foreach (var e in Entries)
        {
            while (names.Count <= e.Number) names.Add(null);
            names[e.Number] = e.EntryPoint is null || leaveOut?.Contains(e.Number) == true ? null : e.Name;
        }
        return new LinuxSyscallTable(names);
    }

    /// <summary>The implemented calls whose x86-64 entry point (<c>__ia32_</c> + entry) the kernel's symbols lack:
    /// one message each. Such a call is left unnamed (the kernel in hand does not run what the table says).</summary>
    public IReadOnlyList<(int Number, string Message)> CrossCheck(Kallsyms symbols)
    {
        var missing = new List<(int, string)>();
        foreach (var e in Entries)
        {
            if (e.EntryPoint is null) continue;
            if (!symbols.TryGet("__ia32_" + e.EntryPoint, out _))
                missing.Add((e.Number, $"i386 call {e.Number} '{e.Name}': the kernel has no __ia32_{e.EntryPoint} (left unnamed)"));
        }
        return missing;
    }
}
