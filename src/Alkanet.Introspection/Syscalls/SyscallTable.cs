namespace Alkanet.Introspection.Syscalls;

/// <summary>One system-call number → name table of one OS build (and, on Windows, one service table:
/// "nt" for ntoskrnl, "win32k" for the graphical subsystem). Lookup is an array index: no allocation.</summary>
public sealed class SyscallTable
{
    private readonly string?[] _names;
    private readonly Dictionary<string, uint> _numbers;

    public SyscallTable(string os, string release, int build, string kind, IEnumerable<KeyValuePair<string, uint>> calls)
    {
        Os = os;
        Release = release;
        Build = build;
        Kind = kind;
        _numbers = new Dictionary<string, uint>(StringComparer.Ordinal);
        uint max = 0;
        foreach (var (name, number) in calls)
        {
            _numbers[name] = number;
            max = Math.Max(max, number);
        }
        if (max > 0x10_0000) throw new InvalidDataException($"{os} {release} {kind}: call number {max:x} is implausibly large");
        _names = new string?[_numbers.Count == 0 ? 0 : max + 1];
        foreach (var (name, number) in _numbers) _names[number] = name;
    }

    public string Os { get; }
    public string Release { get; }
    public int Build { get; }
    public string Kind { get; }

    public int Count => _numbers.Count;

    /// <summary>The name of call <paramref name="number"/>, or null when the table has none.</summary>
    public string? NameOf(ulong number) => number < (ulong)_names.Length ? _names[number] : null;

    public bool TryGetNumber(string name, out uint number) => _numbers.TryGetValue(name, out number);

    /// <summary>Every call, by number.</summary>
    public IEnumerable<(uint Number, string Name)> Calls()
    {
        for (uint i = 0; i < _names.Length; i++)
            if (_names[i] is { } n) yield return (i, n);
    }

    public override string ToString() => $"{Os} {Release} (build {Build}) {Kind}: {Count} calls";
}

/// <summary>A table chosen for a build, and whether the choice is exact or a guess (with the reason).</summary>
public sealed record SyscallTableChoice(SyscallTable Table, bool Exact, string? Note);
