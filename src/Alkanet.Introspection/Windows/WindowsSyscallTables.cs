using System.Globalization;
using Alkanet.Introspection.Syscalls;

namespace Alkanet.Introspection.Windows;

/// <summary>The x64 Windows tables (nt and win32k) of 35 releases, generated into data/windows/syscalls from j00ru's
/// windows-syscalls and embedded in the library.</summary>
public sealed class WindowsSyscallTables : ISyscallTableSource
{
    public static readonly WindowsSyscallTables Instance = new();

    private readonly Lazy<IReadOnlyList<SyscallTable>> _tables;

    private WindowsSyscallTables() => _tables = new Lazy<IReadOnlyList<SyscallTable>>(Load);

    /// <summary>For tests and for extra tables: parses the generated TSV format.</summary>
    public WindowsSyscallTables(TextReader tsv, string source) => _tables = new Lazy<IReadOnlyList<SyscallTable>>(Parse(tsv, source));

    public string Os => "windows";

    public IReadOnlyList<SyscallTable> Tables => _tables.Value;

    private static List<SyscallTable> Load()
    {
        using var stream = typeof(WindowsSyscallTables).Assembly.GetManifestResourceStream("Alkanet.Windows.Syscalls.tsv")
            ?? throw new InvalidDataException("the embedded Windows system-call tables are missing");
        using var reader = new StreamReader(stream);
        return Parse(reader, "embedded:windows-x64-syscalls.tsv");
    }

    private static List<SyscallTable> Parse(TextReader reader, string source)
    {
        var tables = new List<SyscallTable>();
        var lineNo = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNo++;
            if (line.Length == 0 || line[0] == '#') continue;
            var cols = line.Split('\t');
            if (cols.Length != 4 || !int.TryParse(cols[1], NumberStyles.None, CultureInfo.InvariantCulture, out var build))
                throw new InvalidDataException($"{source}:{lineNo}: expected RELEASE<TAB>BUILD<TAB>KIND<TAB>CALLS");
            var calls = new List<KeyValuePair<string, uint>>();
            foreach (var pair in cols[3].Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=');
                if (eq <= 0 || !uint.TryParse(pair.AsSpan(eq + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var n))
                    throw new InvalidDataException($"{source}:{lineNo}: bad entry '{pair}'");
                calls.Add(new(pair[..eq], n));
            }
            tables.Add(new SyscallTable("windows", cols[0], build, cols[2], calls));
        }
        return tables;
    }

    /// <summary>Chooses by build: exact when one release has that build; a release sharing the build (or the
    /// nearest earlier build) is a guess and says so.</summary>
    public SyscallTableChoice? Choose(int build, string? kind = null)
    {
        kind ??= "nt";
        var ofKind = Tables.Where(t => t.Kind == kind).ToList();
        if (ofKind.Count == 0) return null;
        var same = ofKind.Where(t => t.Build == build).ToList();
        if (same.Count == 1) return new SyscallTableChoice(same[0], true, null);
        if (same.Count > 1)
        {
            var last = same[^1];
            var identical = same.All(t => t.Count == last.Count && t.Calls().SequenceEqual(last.Calls()));
            return identical
                ? new SyscallTableChoice(last, true, null)
                : new SyscallTableChoice(last, false,
                    $"build {build} is shared by {string.Join(", ", same.Select(t => t.Release))}, whose tables differ; using {last.Release}");
        }
        var earlier = ofKind.Where(t => t.Build < build).OrderBy(t => t.Build).LastOrDefault();
        if (earlier is not null)
            return new SyscallTableChoice(earlier, false,
                $"no table for build {build}; guessing {earlier.Release} (build {earlier.Build}), the nearest earlier release: numbers may differ");
        var first = ofKind.OrderBy(t => t.Build).First();
        return new SyscallTableChoice(first, false,
            $"no table for build {build}; guessing {first.Release} (build {first.Build}), the earliest known: numbers may differ");
    }

    /// <summary>Finds a table by release name as j00ru spells it ("Windows 10 (1909)") or its short form ("1909").</summary>
    public SyscallTable? ByRelease(string release, string kind = "nt") =>
        Tables.FirstOrDefault(t => t.Kind == kind && (string.Equals(t.Release, release, StringComparison.OrdinalIgnoreCase)
            || t.Release.EndsWith($"({release})", StringComparison.OrdinalIgnoreCase)
            || t.Release.EndsWith($" {release})", StringComparison.OrdinalIgnoreCase)));
}
