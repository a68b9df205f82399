using System.Text.Json;
using Alkanet.Introspection.Symbols.Compression;

namespace Alkanet.Introspection.Symbols;

/// <summary>A Volatility 3 Intermediate Symbol Format file (.json or .json.xz): struct layouts, base types,
/// enums and symbol addresses (RVAs for Windows kernels), plus the PDB identity in its metadata.
/// Every offset the Windows code uses comes from here; none is a constant in code.</summary>
public sealed class IsfFile
{
    /// <summary>Largest ISF accepted after decompression (the 1909 kernel's is 5.7 MB).</summary>
    public const long MaxJsonBytes = 512L << 20;

    private readonly Dictionary<string, IsfStruct> _types;
    private readonly Dictionary<string, ulong> _symbols;
    private readonly Dictionary<string, int> _baseSizes;
    private readonly Dictionary<string, (int Size, IReadOnlyDictionary<string, long> Constants)> _enums;

    private IsfFile(string source, string format, PdbIdentity? pdb, Dictionary<string, IsfStruct> types,
        Dictionary<string, ulong> symbols, Dictionary<string, int> baseSizes,
        Dictionary<string, (int, IReadOnlyDictionary<string, long>)> enums)
    {
        Source = source;
        Format = format;
        Pdb = pdb;
        _types = types;
        _symbols = symbols;
        _baseSizes = baseSizes;
        _enums = enums;
    }

    /// <summary>Where the file came from (a path, or "embedded:NAME").</summary>
    public string Source { get; }

    /// <summary>The ISF format version from the metadata ("6.1.0").</summary>
    public string Format { get; }

    /// <summary>PDB name, GUID and age (Windows ISF files); null for other symbol tables.</summary>
    public PdbIdentity? Pdb { get; }

    public IReadOnlyDictionary<string, IsfStruct> Types => _types;

    public IReadOnlyDictionary<string, ulong> Symbols => _symbols;

    public static IsfFile Load(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{path}: cannot read: {ex.Message}", ex);
        }
        return Parse(bytes, path);
    }

    /// <summary>Parses ISF bytes (xz-compressed or plain JSON). Errors name the source and the position.</summary>
    public static IsfFile Parse(byte[] bytes, string source)
    {
        if (XzDecoder.IsXz(bytes))
        {
            try
            {
                bytes = XzDecoder.Decompress(bytes, MaxJsonBytes);
            }
            catch (InvalidDataException ex)
            {
                throw new InvalidDataException($"{source}: {ex.Message}", ex);
            }
        }
        try
        {
            using var doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 64 });
            return FromJson(doc.RootElement, source);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{source}: line {(ex.LineNumber ?? 0) + 1}, byte {ex.BytePositionInLine ?? 0}: not valid JSON: " +
                $"{ex.Message}", ex);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or KeyNotFoundException)
        {
            throw new InvalidDataException($"{source}: not a Volatility 3 ISF file: {ex.Message}", ex);
        }
    }

    private static IsfFile FromJson(JsonElement root, string source)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("user_types", out var userTypes) || !root.TryGetProperty("metadata",
            out var metadata))
            throw new InvalidDataException($"{source}: not a Volatility 3 ISF file (no 'metadata' or 'user_types')");
        var format = metadata.TryGetProperty("format", out var f) ? f.GetString() ?? "" : "";
        PdbIdentity? pdb = null;
        if (metadata.TryGetProperty("windows", out var win) && win.TryGetProperty("pdb", out var p))
        {
            pdb = new PdbIdentity(
                p.TryGetProperty("database", out var db) ? db.GetString() ?? "" : "",
                p.TryGetProperty("GUID", out var g) ? (g.GetString() ?? "").ToUpperInvariant() : "",
                p.TryGetProperty("age", out var a) && a.TryGetInt32(out var age) ? age : 0);
        }

        var baseSizes = new Dictionary<string, int>(StringComparer.Ordinal);
        if (root.TryGetProperty("base_types", out var bases))
        {
            foreach (var b in bases.EnumerateObject())
                baseSizes[b.Name] = b.Value.TryGetProperty("size", out var s) ? s.GetInt32() : 0;
        }

        var enums = new Dictionary<string, (int, IReadOnlyDictionary<string, long>)>(StringComparer.Ordinal);
        if (root.TryGetProperty("enums", out var enumsEl))
        {
            foreach (var e in enumsEl.EnumerateObject())
            {
                var constants = new Dictionary<string, long>(StringComparer.Ordinal);
                if (e.Value.TryGetProperty("constants", out var c))
                    foreach (var k in c.EnumerateObject()) if (k.Value.TryGetInt64(out var v)) constants[k.Name] = v;
                enums[e.Name] = (e.Value.TryGetProperty("size", out var s) ? s.GetInt32() : 4, constants);
            }
        }

        var types = new Dictionary<string, IsfStruct>(StringComparer.Ordinal);
        foreach (var t in userTypes.EnumerateObject())
        {
            var fields = new Dictionary<string, IsfField>(StringComparer.Ordinal);
            if (t.Value.TryGetProperty("fields", out var fs))
            {
                foreach (var field in fs.EnumerateObject())
                {
                    var offset = field.Value.TryGetProperty("offset", out var o) ? o.GetUInt32() : 0;
                    fields[field.Name] = new IsfField(field.Name, offset, ReadTypeRef(field.Value.GetProperty("type"), 0));
                }
            }
            types[t.Name] = new IsfStruct(t.Name,
                t.Value.TryGetProperty("kind", out var kind) ? kind.GetString() ?? "struct" : "struct",
                t.Value.TryGetProperty("size", out var size) ? size.GetUInt32() : 0,
                fields);
        }

        var symbols = new Dictionary<string, ulong>(StringComparer.Ordinal);
        if (root.TryGetProperty("symbols", out var syms))
        {
            foreach (var s in syms.EnumerateObject())
                if (s.Value.TryGetProperty("address", out var addr) && addr.TryGetUInt64(out var a)) symbols[s.Name] = a;
        }
        return new IsfFile(source, format, pdb, types, symbols, baseSizes, enums);
    }

    private static IsfTypeRef ReadTypeRef(JsonElement e, int depth)
    {
        if (depth > 32) throw new InvalidDataException("type nesting deeper than 32");
        var kind = e.GetProperty("kind").GetString() ?? "";
        var name = e.TryGetProperty("name", out var n) ? n.GetString() : null;
        IsfTypeRef? sub = null;
        if (e.TryGetProperty("subtype", out var st)) sub = ReadTypeRef(st, depth + 1);
        else if (kind == "bitfield" && e.TryGetProperty("type", out var bt)) sub = ReadTypeRef(bt, depth + 1);
        var count = e.TryGetProperty("count", out var c) ? c.GetInt32() : 0;
        var bitPos = e.TryGetProperty("bit_position", out var bp) ? bp.GetInt32() : 0;
        var bitLen = e.TryGetProperty("bit_length", out var bl) ? bl.GetInt32() : 0;
        return new IsfTypeRef(kind, name, sub, count, bitPos, bitLen);
    }

    public bool TryGetType(string name, out IsfStruct type) => _types.TryGetValue(name, out type!);

    public bool TryGetSymbol(string name, out ulong address) => _symbols.TryGetValue(name, out address);

    /// <summary>Size in bytes of a type reference (pointers are 8 bytes: these are 64-bit tables).</summary>
    public int SizeOf(IsfTypeRef type) => type.Kind switch
    {
        "pointer" => 8,
        "base" => type.Name is not null && _baseSizes.TryGetValue(type.Name, out var s) ? s : 0,
        "enum" => type.Name is not null && _enums.TryGetValue(type.Name, out var e) ? e.Size : 4,
        "array" => type.Subtype is null ? 0 : type.Count * SizeOf(type.Subtype),
        "bitfield" => type.Subtype is null ? 0 : SizeOf(type.Subtype),
        "struct" or "union" or "class" => type.Name is not null && _types.TryGetValue(type.Name, out var t) ? (int)t.Size : 0,
        _ => 0,
    };

    /// <summary>Resolves a field path such as <c>ApcState.Process</c> in <paramref name="typeName"/>, following
    /// nested structures (not pointers).</summary>
    public bool TryGetField(string typeName, string path, out FieldLocation location)
    {
        location = default;
        if (!_types.TryGetValue(typeName, out var type)) return false;
        uint offset = 0;
        var parts = path.Split('.');
        for (var i = 0; i < parts.Length; i++)
        {
            if (!type.Fields.TryGetValue(parts[i], out var field)) return false;
            offset += field.Offset;
            if (i == parts.Length - 1)
            {
                location = new FieldLocation(offset, SizeOf(field.Type), field.Type.IsBitfield ? field.Type.BitPosition : 0,
                    field.Type.IsBitfield ? field.Type.BitLength : 0, field.Type);
                return true;
            }
            if (!field.Type.IsStructLike || field.Type.Name is null || !_types.TryGetValue(field.Type.Name, out type!)) return false;
        }
        return false;
    }

    /// <summary>The offset of a field path; throws <see cref="MissingSymbolException"/> naming it when absent.</summary>
    public uint OffsetOf(string typeName, string path) =>
        TryGetField(typeName, path, out var loc) ? loc.Offset : throw new MissingSymbolException($"{typeName}.{path}", Source);

    public uint StructSize(string typeName) =>
        _types.TryGetValue(typeName, out var t) ? t.Size : throw new MissingSymbolException(typeName, Source);

    public ulong SymbolRva(string name) =>
        _symbols.TryGetValue(name, out var a) ? a : throw new MissingSymbolException(name, Source);

    public bool TryGetEnum(string name, out IReadOnlyDictionary<string, long> constants)
    {
        if (_enums.TryGetValue(name, out var e)) { constants = e.Constants; return true; }
        constants = new Dictionary<string, long>();
        return false;
    }
}

/// <summary>A structure, field or symbol the code needs is not in the symbol table.</summary>
public sealed class MissingSymbolException(string what, string source) : Exception($"{source}: the symbol table has no '{what}'")
{
    public MissingSymbolException() : this("?", "?") { }

    public MissingSymbolException(string message) : this(message, "?") { }

    public MissingSymbolException(string message, Exception inner) : this(message, "?") => _ = inner;

    public string What { get; } = what;
}
