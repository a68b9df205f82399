namespace Alkanet.Introspection.Symbols;

/// <summary>A type reference inside an ISF field: kind (base, pointer, struct, union, enum, array, bitfield,
/// function, class) and what it refers to.</summary>
public sealed record IsfTypeRef(string Kind, string? Name, IsfTypeRef? Subtype, int Count, int BitPosition, int BitLength)
{
    public bool IsPointer => Kind == "pointer";
    public bool IsBitfield => Kind == "bitfield";
    public bool IsStructLike => Kind is "struct" or "union" or "class";

    public override string ToString() => Kind switch
    {
        "pointer" => $"{Subtype}*",
        "array" => $"{Subtype}[{Count}]",
        "bitfield" => $"{Subtype}:{BitPosition}+{BitLength}",
        _ => Name ?? Kind,
    };
}

/// <summary>One field of a structure: its byte offset and type.</summary>
public sealed record IsfField(string Name, uint Offset, IsfTypeRef Type);

/// <summary>One user type (struct/union/class) of an ISF file.</summary>
public sealed record IsfStruct(string Name, string Kind, uint Size, IReadOnlyDictionary<string, IsfField> Fields);

/// <summary>The resolved location of a (possibly dotted) field path: total offset, byte size, bitfield bits.</summary>
public readonly record struct FieldLocation(uint Offset, int Size, int BitPosition, int BitLength, IsfTypeRef Type)
{
    public bool IsBitfield => BitLength > 0;
}

/// <summary>The PDB identity of the image an ISF file describes (Windows), from its metadata.</summary>
public sealed record PdbIdentity(string Database, string Guid, int Age)
{
    /// <summary>The key symbol servers and profile file names use: GUID (upper-case hex) followed by the age.</summary>
    public string Key => $"{Guid.ToUpperInvariant()}{Age}";

    public override string ToString() => $"{Database} {Guid.ToUpperInvariant()}-{Age}";
}
