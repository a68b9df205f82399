using System.Text.Json;
using Alkanet.Introspection.Symbols;

namespace Alkanet.Introspection.Windows;

/// <summary>What <c>alkanet profile show</c> prints about a Windows kernel's ISF: the sizes, field offsets and symbols
/// <see cref="WindowsProfile"/> uses and which of them the file lacks. Here, beside the lists it reads, so the CLI
/// holds no Windows knowledge.</summary>
public static class WindowsProfileSummary
{
    private static IEnumerable<string> SizedTypes =>
        WindowsProfile.RequiredSizes.Concat(WindowsProfile.RequiredFields.Select(f => f.Type)).Distinct();

    public static void WriteText(TextWriter output, IsfFile isf, WindowsProfile profile)
    {
        output.WriteLine($"source:  {isf.Source}");
        output.WriteLine($"format:  ISF {isf.Format}, {isf.Types.Count} types, {isf.Symbols.Count} symbols");
        output.WriteLine($"pdb:     {isf.Pdb?.ToString() ?? "(none: not a Windows kernel table)"}");
        output.WriteLine("structure sizes:");
        foreach (var t in SizedTypes)
            output.WriteLine($"  {t,-32} {(isf.TryGetType(t, out var st) ? $"0x{st.Size:x}" : "MISSING")}");
        output.WriteLine("field offsets:");
        foreach (var (type, field) in WindowsProfile.RequiredFields)
            output.WriteLine($"  {type + "." + field,-48} {FieldOffset(isf, type, field)}");
        output.WriteLine("symbols (RVA):");
        foreach (var s in WindowsProfile.RequiredSymbols)
            output.WriteLine($"  {s,-32} {(isf.TryGetSymbol(s, out var rva) ? $"0x{rva:x}" : "MISSING")}");
        output.WriteLine(profile.Missing.Count == 0 ? "missing: none" : $"missing: {string.Join(", ", profile.Missing)}");
    }

    public static void WriteJson(Utf8JsonWriter w, IsfFile isf, WindowsProfile profile)
    {
        w.WriteStartObject();
        w.WriteString("source", isf.Source);
        w.WriteString("format", isf.Format);
        if (isf.Pdb is { } id)
        {
            w.WriteStartObject("pdb");
            w.WriteString("database", id.Database);
            w.WriteString("guid", id.Guid);
            w.WriteNumber("age", id.Age);
            w.WriteEndObject();
        }
        w.WriteStartObject("sizes");
        foreach (var t in SizedTypes)
            if (isf.TryGetType(t, out var st)) w.WriteNumber(t, st.Size);
        w.WriteEndObject();
        w.WriteStartObject("offsets");
        foreach (var (type, field) in WindowsProfile.RequiredFields)
            if (isf.TryGetField(type, field, out var loc)) w.WriteNumber($"{type}.{field}", loc.Offset);
        w.WriteEndObject();
        w.WriteStartObject("symbols");
        foreach (var s in WindowsProfile.RequiredSymbols)
            if (isf.TryGetSymbol(s, out var rva)) w.WriteNumber(s, rva);
        w.WriteEndObject();
        w.WriteStartArray("missing");
        foreach (var m in profile.Missing) w.WriteStringValue(m);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static string FieldOffset(IsfFile isf, string type, string field) =>
        !isf.TryGetField(type, field, out var loc) ? "MISSING"
        : loc.IsBitfield ? $"0x{loc.Offset:x} bits {loc.BitPosition}+{loc.BitLength}"
        : $"0x{loc.Offset:x}";
}
