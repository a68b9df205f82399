using System.Buffers.Binary;
using System.Text;

namespace Alkanet.Introspection.Linux;

/// <summary>The kernel's BTF type information (the vmlinux <c>.BTF</c> section): enough of it to answer
/// "at which byte offset is member X.Y of struct S", so no structure offset is written in code.
/// Malformed input raises <see cref="InvalidDataException"/> naming the byte offset.</summary>
public sealed class BtfTypes
{
    private const ushort Magic = 0xEB9F;
    private enum Kind { Int = 1, Ptr, Array, Struct, Union, Enum, Fwd, Typedef, Volatile, Const, Restrict, Func, FuncProto, Var, DataSec, Float,
        DeclTag, TypeTag, Enum64 }

    private readonly record struct BtfType(Kind Kind, string Name, uint SizeOrType, bool KindFlag, int FirstMember, int MemberCount);
    private readonly record struct BtfMember(string Name, uint Type, uint BitOffset);

    private readonly List<BtfType> _types = [default]; // id 0 is void
    private readonly List<BtfMember> _members = [];
    private readonly Dictionary<string, int> _structByName = new(StringComparer.Ordinal);

    public int TypeCount => _types.Count - 1;

    public static BtfTypes Parse(ReadOnlySpan<byte> btf)
    {
        var t = new BtfTypes();
        t.Load(btf);
        return t;
    }

    /// <summary>Byte offset of <paramref name="memberPath"/> (dot-separated, through nested and anonymous
    /// structs and unions) inside struct or union <paramref name="typeName"/>.</summary>
    public int Offset(string typeName, string memberPath)
    {
        var id = StructId(typeName);
        var bits = 0L;
        foreach (var part in memberPath.Split('.'))
        {
            if (!TryFindMember(id, part, out var memberType, out var memberBits))
                throw new KeyNotFoundException($"BTF: '{typeName}' has no member '{memberPath}' (at '{part}')");
            bits += memberBits;
            id = (int)Resolve(memberType);
        }
        if (bits % 8 != 0) throw new InvalidDataException($"BTF: {typeName}.{memberPath} is a bit field");
        return (int)(bits / 8);
    }

    public bool TryOffset(string typeName, string memberPath, out int offset)
    {
        try { offset = Offset(typeName, memberPath); return true; }
        catch (KeyNotFoundException) { offset = -1; return false; }
    }

    /// <summary>Size in bytes of struct or union <paramref name="typeName"/>.</summary>
    public int Size(string typeName) => (int)_types[StructId(typeName)].SizeOrType;

    private int StructId(string name) =>
        _structByName.TryGetValue(name, out var id) ? id : throw new KeyNotFoundException($"BTF: no struct or union named '{name}'");

    private bool TryFindMember(int id, string name, out uint type, out long bitOffset)
    {
        var t = _types[id];
        if (t.Kind is not (Kind.Struct or Kind.Union)) { type = 0; bitOffset = 0; return false; }
        for (var i = 0; i < t.MemberCount; i++)
        {
            var m = _members[t.FirstMember + i];
            var mbits = t.KindFlag ? m.BitOffset & 0xFFFFFF : m.BitOffset;
            if (m.Name == name) { type = m.Type; bitOffset = mbits; return true; }
            if (m.Name.Length == 0 && TryFindMember((int)Resolve(m.Type), name, out type, out var inner))
            {
                bitOffset = mbits + inner;
                return true;
            }
        }
        type = 0;
        bitOffset = 0;
        return false;
    }

    /// <summary>Follows typedefs and qualifiers to the underlying type id.</summary>
    private uint Resolve(uint id)
    {
        for (var guard = 0; guard < 32 && id != 0 && id < _types.Count; guard++)
        {
            var t = _types[(int)id];
            if (t.Kind is Kind.Typedef or Kind.Volatile or Kind.Const or Kind.Restrict or Kind.TypeTag) id = t.SizeOrType;
            else return id;
        }
        return id;
    }

    private void Load(ReadOnlySpan<byte> btf)
    {
        if (btf.Length < 24) throw new InvalidDataException("BTF: byte offset 0: section shorter than its header");
        if (BinaryPrimitives.ReadUInt16LittleEndian(btf) != Magic)
            throw new InvalidDataException("BTF: byte offset 0: bad magic (not little-endian BTF)");
        var hdrLen = BinaryPrimitives.ReadUInt32LittleEndian(btf[4..]);
        var typeOff = BinaryPrimitives.ReadUInt32LittleEndian(btf[8..]);
        var typeLen = BinaryPrimitives.ReadUInt32LittleEndian(btf[12..]);
        var strOff = BinaryPrimitives.ReadUInt32LittleEndian(btf[16..]);
        var strLen = BinaryPrimitives.ReadUInt32LittleEndian(btf[20..]);
        if ((ulong)hdrLen + typeOff + typeLen > (ulong)btf.Length || (ulong)hdrLen + strOff + strLen > (ulong)btf.Length)
            throw new InvalidDataException($"BTF: byte offset 4: type or string section lies outside the {btf.Length}-byte section");
        var types = btf.Slice((int)(hdrLen + typeOff), (int)typeLen);
        var strings = btf.Slice((int)(hdrLen + strOff), (int)strLen);
        var pos = 0;
        while (pos < types.Length)
        {
            Need(types, pos, 12, hdrLen + typeOff);
            var nameOff = BinaryPrimitives.ReadUInt32LittleEndian(types[pos..]);
            var info = BinaryPrimitives.ReadUInt32LittleEndian(types[(pos + 4)..]);
            var sizeOrType = BinaryPrimitives.ReadUInt32LittleEndian(types[(pos + 8)..]);
            var kind = (Kind)((info >> 24) & 0x1F);
            var vlen = (int)(info & 0xFFFF);
            var kindFlag = (info >> 31) != 0;
            var start = pos;
            pos += 12;
            var name = Str(strings, nameOff);
            var firstMember = _members.Count;
            var memberCount = 0;
            switch (kind)
            {
                case Kind.Int: case Kind.Var: case Kind.DeclTag: pos += 4; break;
                case Kind.Array: pos += 12; break;
                case Kind.Struct: case Kind.Union:
                    Need(types, pos, vlen * 12, hdrLen + typeOff);
                    for (var i = 0; i < vlen; i++, pos += 12)
                    {
                        _members.Add(new BtfMember(Str(strings, BinaryPrimitives.ReadUInt32LittleEndian(types[pos..])),
                            BinaryPrimitives.ReadUInt32LittleEndian(types[(pos + 4)..]),
                                BinaryPrimitives.ReadUInt32LittleEndian(types[(pos + 8)..])));
                    }
                    memberCount = vlen;
                    break;
                case Kind.Enum: case Kind.FuncProto: pos += vlen * 8; break;
                case Kind.DataSec: case Kind.Enum64: pos += vlen * 12; break;
                case Kind.Ptr: case Kind.Fwd: case Kind.Typedef: case Kind.Volatile: case Kind.Const: case Kind.Restrict:
                case Kind.Func: case Kind.Float: case Kind.TypeTag: break;
                default: throw new InvalidDataException($"BTF: byte offset {hdrLen + typeOff + start}: unknown type kind {(int)kind}");
            }
            if (pos > types.Length) throw new InvalidDataException($"BTF: byte offset {hdrLen + typeOff + start}: type runs past the type section");
            _types.Add(new BtfType(kind, name, sizeOrType, kindFlag, firstMember, memberCount));
            if (kind is Kind.Struct or Kind.Union && name.Length > 0 && memberCount > 0) _structByName.TryAdd(name, _types.Count - 1);
        }
    }

    private static void Need(ReadOnlySpan<byte> s, int pos, int n, long baseOffset)
    {
        if (n < 0 || pos + n > s.Length) throw new InvalidDataException($"BTF: byte offset {baseOffset + pos}: truncated type entry");
    }

    private static string Str(ReadOnlySpan<byte> strings, uint off)
    {
        if (off == 0 || off >= strings.Length) return "";
        var s = strings[(int)off..];
        var end = s.IndexOf((byte)0);
        return Encoding.ASCII.GetString(end < 0 ? s : s[..end]);
    }
}
