using System.Globalization;

namespace Alkanet.Introspection.Linux;

/// <summary>The guest kernel's symbols in /proc/kallsyms text form ("ADDRESS TYPE NAME [module]"), taken from
/// one cached <c>nokaslr</c> boot, so addresses are the link-time ones. Lookups by name; the first global
/// (upper-case type) definition wins over a local one of the same name.</summary>
public sealed class Kallsyms
{
    private readonly Dictionary<string, ulong> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<ulong, List<string>> _functionsByAddress = [];
    private readonly HashSet<string> _global = new(StringComparer.Ordinal);

    public int Count => _byName.Count;

    public static Kallsyms Parse(TextReader reader, string source = "<kallsyms>")
    {
        var k = new Kallsyms();
        string? line;
        var lineNo = 0;
        while ((line = reader.ReadLine()) != null)
        {
            lineNo++;
            var t = line.TrimEnd('\r').TrimStart('\uFEFF');
            var parts = t.Split(' ', 4, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 3) continue; // the serial console interleaves other lines; symbols have three words
            if (parts[0].Length != 16 || !ulong.TryParse(parts[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var addr))
                continue;
            if (parts[1].Length != 1) throw new InvalidDataException($"{source}:{lineNo}: symbol type '{parts[1]}' is not one letter");
            if (parts.Length == 4) continue; // module symbols: not part of the kernel image
            var global = char.IsUpper(parts[1][0]);
            var name = parts[2];
            if (!k._byName.ContainsKey(name)) { k._byName[name] = addr; if (global) k._global.Add(name); }
            else if (global && k._global.Add(name)) k._byName[name] = addr;
            if (parts[1] is "T" or "t" or "W" or "w")
            {
                if (!k._functionsByAddress.TryGetValue(addr, out var names)) k._functionsByAddress[addr] = names = new List<string>(1);
                names.Add(name);
            }
        }
        return k;
    }

    public static Kallsyms Load(string path)
    {
        using var r = File.OpenText(path);
        return Parse(r, path);
    }

    public bool TryGet(string name, out ulong address) => _byName.TryGetValue(name, out address);

    public ulong Get(string name) =>
        _byName.TryGetValue(name, out var a) ? a : throw new KeyNotFoundException($"kernel symbol '{name}' is not in kallsyms");

    /// <summary>The text symbols starting exactly at <paramref name="address"/> (aliases share an address).</summary>
    public IReadOnlyList<string> FunctionsAt(ulong address) => _functionsByAddress.TryGetValue(address, out var n) ? n : [];
}
