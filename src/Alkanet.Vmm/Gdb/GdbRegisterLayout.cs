using System.Xml;

namespace Alkanet.Vmm.Gdb;

/// <summary>One register of the target description: its number, size and byte offset in a 'g' reply.</summary>
public sealed record GdbRegister(string Name, int Number, int BitSize, int Offset)
{
    public int ByteSize => BitSize / 8;
}

/// <summary>
/// The register layout from the stub's own target description (qXfer:features:read:target.xml and its
/// xi:include files), so offsets in a 'g' reply are never hard-coded: numbers follow the XML's regnum
/// attributes (or count on from the previous register), offsets are the sizes summed in number order.
/// </summary>
public sealed class GdbRegisterLayout
{
    private const int MaxRegisters = 1024;
    private const int MaxIncludeDepth = 4;
    private const int MaxIncludes = 64;

    private readonly Dictionary<string, GdbRegister> _byName;

    private GdbRegisterLayout(List<GdbRegister> registers, string? architecture)
    {
        Registers = registers;
        Architecture = architecture;
        _byName = registers.ToDictionary(r => r.Name, StringComparer.OrdinalIgnoreCase);
        GBytes = registers.Count == 0 ? 0 : registers[^1].Offset + registers[^1].ByteSize;
    }

    /// <summary>Registers in number order.</summary>
    public IReadOnlyList<GdbRegister> Registers { get; }

    public string? Architecture { get; }

    /// <summary>Bytes of a 'g' reply holding every register.</summary>
    public int GBytes { get; }

    public GdbRegister? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>Parses a target description; <paramref name="fetchAnnex"/> returns the text of an included file.</summary>
    /// <exception cref="GdbProtocolException">malformed XML, a bad register, too many includes or registers.</exception>
    public static GdbRegisterLayout Parse(string targetXml, Func<string, string> fetchAnnex)
    {
        var raw = new List<(string Name, int Number, int Bits)>();
        string? architecture = null;
        var includes = 0;
        var next = 0;
        void Walk(string annex, string xml, int depth)
        {
            if (depth > MaxIncludeDepth)
                throw new GdbProtocolException($"target description includes nest deeper than {MaxIncludeDepth} (at {annex})");
            using var reader = new XmlTextReader(new StringReader(xml)) { Namespaces = false, DtdProcessing = DtdProcessing.Ignore,
                XmlResolver = null };
            try
            {
                var advanced = false;
                while (advanced || reader.Read())
                {
                    advanced = false;
                    if (reader.NodeType != XmlNodeType.Element) continue;
                    switch (reader.Name)
                    {
                        case "architecture":
                            architecture = reader.ReadElementContentAsString().Trim();
                            advanced = true; // the reader already stands on the next node
                            break;
                        case "xi:include":
                            var href = reader.GetAttribute("href") ?? throw new GdbProtocolException($"{annex}: xi:include without href");
                            if (++includes > MaxIncludes) throw new GdbProtocolException($"target description has more than {MaxIncludes} includes");
                            Walk(href, fetchAnnex(href), depth + 1);
                            break;
                        case "reg":
                            var name = reader.GetAttribute("name");
                            var bitsText = reader.GetAttribute("bitsize");
                            if (string.IsNullOrEmpty(name) || !int.TryParse(bitsText, out var bits) || bits <= 0 || bits > 4096 || bits % 8 != 0)
                                throw new GdbProtocolException($"{annex} line {reader.LineNumber}: register '{name}' has a bad bitsize '{bitsText}'");
                            var numberText = reader.GetAttribute("regnum");
                            if (numberText is not null && (!int.TryParse(numberText, out next) || next < 0 || next >= MaxRegisters))
                                throw new GdbProtocolException(
                                    $"{annex} line {reader.LineNumber}: register '{name}' has a bad regnum '{numberText}'");
                            if (raw.Count >= MaxRegisters)
                                throw new GdbProtocolException($"target description has more than {MaxRegisters} registers");
                            raw.Add((name, next, bits));
                            next++;
                            break;
                    }
                }
            }
            catch (XmlException ex)
            {
                throw new GdbProtocolException($"target description {annex} is not well-formed XML: {ex.Message}", ex);
            }
        }
        Walk("target.xml", targetXml, 0);
        var ordered = raw.OrderBy(r => r.Number).ToList();
        var registers = new List<GdbRegister>(ordered.Count);
        var offset = 0;
        for (var i = 0; i < ordered.Count; i++)
        {
            if (i > 0 && ordered[i].Number == ordered[i - 1].Number)
                throw new GdbProtocolException($"target description numbers two registers {ordered[i].Number} ({ordered[i - 1].Name}, " +
                    $"{ordered[i].Name})");
            registers.Add(new GdbRegister(ordered[i].Name, ordered[i].Number, ordered[i].Bits, offset));
            offset += ordered[i].Bits / 8;
        }
        return new GdbRegisterLayout(registers, architecture);
    }
}
