using System.Globalization;
using System.Text;

namespace Alkanet.Introspection.Linux;

/// <summary>Linux call number to name, as read from the guest kernel's own <c>sys_call_table</c>
/// (entries matched to their <c>__x64_sys_*</c> symbols). Numbers without a call map to null
/// (<see cref="NameOrUnknown"/> gives the log's <c>unknown_N</c> form).</summary>
public sealed class LinuxSyscallTable
{
    private readonly string?[] _names;
    private readonly string[] _shown; // the name or unknown_N of every number in the table, made once: a hit allocates nothing
    private readonly Dictionary<string, int> _numbers = new(StringComparer.Ordinal);

    public LinuxSyscallTable(IReadOnlyList<string?> names)
    {
        _names = [.. names];
        _shown = new string[_names.Length];
        for (var i = 0; i < _names.Length; i++)
        {
            if (_names[i] is { } n) _numbers.TryAdd(n, i);
            _shown[i] = _names[i] ?? Unknown((ulong)i);
        }
    }

    private static readonly Lazy<LinuxSyscallTable> s_x86_64 = new(LoadEmbedded);

    /// <summary>The x86-64 table of Debian 12's 6.1 kernel (data/linux/syscalls-x86_64.txt, embedded): for listing
    /// calls without a guest. Live runs use the table derived from the guest's own kernel instead.</summary>
    public static LinuxSyscallTable X86_64 => s_x86_64.Value;

    /// <summary>Parses "NUMBER NAME" lines.</summary>
    public static LinuxSyscallTable Parse(TextReader reader, string source)
    {
        var names = new List<string?>();
        var lineNo = 0;
        string? line;
        while ((line = reader.ReadLine()) != null)
        {
            lineNo++;
            if (line.Length == 0 || line[0] == '#') continue;
            var w = line.Split(' ');
            if (w.Length != 2 || !int.TryParse(w[0], NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > 4096)
                throw new InvalidDataException($"{source}:{lineNo}: expected 'NUMBER NAME'");
            while (names.Count <= n) names.Add(null);
            names[n] = w[1];
        }
        return new LinuxSyscallTable(names);
    }

    private static LinuxSyscallTable LoadEmbedded()
    {
        using var s = typeof(LinuxSyscallTable).Assembly.GetManifestResourceStream("data/linux/syscalls-x86_64.txt")
            ?? throw new InvalidOperationException("data/linux/syscalls-x86_64.txt is not embedded in Alkanet.Introspection");
        using var r = new StreamReader(s);
        return Parse(r, "data/linux/syscalls-x86_64.txt");
    }

    /// <summary>Entries in the table (the highest number + 1).</summary>
    public int Count => _names.Length;

    public string? Name(ulong number) => number < (ulong)_names.Length ? _names[number] : null;

    public string NameOrUnknown(ulong number) => number < (ulong)_shown.Length ? _shown[number] : Unknown(number);

    private static string Unknown(ulong number) => "unknown_" + number.ToString("x", CultureInfo.InvariantCulture);

    /// <summary>The number of <paramref name="name"/>, or -1.</summary>
    public int Number(string name) => _numbers.TryGetValue(name, out var n) ? n : -1;

    /// <summary>(number, name) for every implemented call, in number order: what <c>alkanet syscalls --os linux</c> lists.</summary>
    public IEnumerable<(int Number, string Name)> Entries()
    {
        for (var i = 0; i < _names.Length; i++)
            if (_names[i] is { } n) yield return (i, n);
    }

    internal void AppendTo(StringBuilder sb, string key)
    {
        foreach (var (n, name) in Entries()) sb.Append(key).Append(' ').Append(n).Append(' ').Append(name).Append('\n');
    }

    /// <summary>Reads <paramref name="tableSymbol"/> (an array of function pointers) from the vmlinux and names each
    /// entry by the symbol it points to, minus <paramref name="prefix"/>; the table ends at the first entry that
    /// is not such a symbol.</summary>
    public static LinuxSyscallTable FromKernel(ElfImage vmlinux, Kallsyms symbols, string tableSymbol, params string[] prefixes)
    {
        var table = symbols.Get(tableSymbol);
        var names = new List<string?>();
        Span<byte> entry = stackalloc byte[8];
        for (var i = 0; i < 1024; i++)
        {
            if (!vmlinux.TryReadAddress(table + (ulong)(i * 8), entry)) break;
            var target = BitConverter.ToUInt64(entry);
            string? fn = null, prefix = null;
            foreach (var candidate in symbols.FunctionsAt(target))
            {
                prefix = prefixes.FirstOrDefault(p => candidate.StartsWith(p, StringComparison.Ordinal));
                if (prefix is not null) { fn = candidate; break; }
            }
            if (fn is null || prefix is null) break;
            var name = fn[prefix.Length..];
            names.Add(name == "ni_syscall" ? null : name);
        }
        if (names.Count == 0)
            throw new InvalidDataException($"{vmlinux.Path}: {tableSymbol} has no entry naming a {string.Join("/", prefixes)} function");
        return new LinuxSyscallTable(names);
    }
}
