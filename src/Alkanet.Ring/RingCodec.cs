using System.Buffers.Binary;
using System.Text;
using Alkanet.Core.Records;

namespace Alkanet.Ring;

/// <summary>The binary form of one record in a ring slot (little-endian): a fixed part, the raw args, then
/// length-prefixed UTF-8 strings. A record larger than the slot keeps its fixed part and as many
/// additional_info entries as fit, and says so with <c>additional_info.truncated = "1"</c>.</summary>
public static class RingCodec
{
    private const byte HasPpid = 1, HasCr3 = 2, HasTime = 4, Truncated = 8, HasSeq = 16;
    private const int Fixed = 8 + 8 * 8;

    /// <summary>True when the payload <see cref="Encode"/> wrote left additional_info entries out for lack of room.</summary>
    public static bool IsTruncated(ReadOnlySpan<byte> encoded) => encoded.Length > 1 && (encoded[1] & Truncated) != 0;

    /// <summary>Encodes <paramref name="r"/> into <paramref name="dst"/>; returns the bytes used. <paramref name="strings"/>
    /// (a producer's own) keeps the UTF-8 of repeated names and keys.</summary>
    public static int Encode(SyscallRecord r, Span<byte> dst, RingStringCache? strings = null)
    {
        var nargs = Math.Min(r.Args.Length, 16);
        var pos = Fixed + nargs * 8;
        byte flags = 0;
        if (r.ParentPid.HasValue) flags |= HasPpid;
        if (r.Cr3.HasValue) flags |= HasCr3;
        if (r.TimestampNs.HasValue) flags |= HasTime;
        if (r.ProcSeq.HasValue) flags |= HasSeq;
        if (!TryStr(dst, ref pos, r.ProcName, strings) || !TryStr(dst, ref pos, r.Name, strings) || !TryStr(dst, ref pos, r.Type, strings))
            throw new ArgumentException("slot too small for a record's fixed part", nameof(dst));
        var countPos = pos;
        pos += 2;
        ushort written = 0;
        foreach (var (key, value) in r.AdditionalInfo)
        {
            var save = pos;
            if (pos + 1 > dst.Length) { flags |= Truncated; break; }
            dst[pos++] = (byte)value.Kind;
            if (!TryStr(dst, ref pos, key, strings) || !TryStr(dst, ref pos, value.Text, null)) { pos = save; flags |= Truncated; break; }
            if (value.HasUnreadable)
            {   // a failed read carries its address
                if (pos + 8 > dst.Length) { pos = save; flags |= Truncated; break; }
                BinaryPrimitives.WriteUInt64LittleEndian(dst[pos..], value.Address);
                pos += 8;
            }
            written++;
        }
        BinaryPrimitives.WriteUInt16LittleEndian(dst[countPos..], written);
        dst[0] = (byte)r.LogType;
        dst[1] = flags;
        BinaryPrimitives.WriteUInt16LittleEndian(dst[2..], (ushort)r.CpuId);
        BinaryPrimitives.WriteUInt16LittleEndian(dst[4..], (ushort)nargs);
        BinaryPrimitives.WriteUInt16LittleEndian(dst[6..], 0);
        var f = dst[8..];
        BinaryPrimitives.WriteUInt64LittleEndian(f, r.Pid);
        BinaryPrimitives.WriteUInt64LittleEndian(f[8..], r.Tid);
        BinaryPrimitives.WriteUInt64LittleEndian(f[16..], r.SysNo);
        BinaryPrimitives.WriteUInt64LittleEndian(f[24..], r.RetVal);
        BinaryPrimitives.WriteUInt64LittleEndian(f[32..], r.ParentPid ?? 0);
        BinaryPrimitives.WriteUInt64LittleEndian(f[40..], r.Cr3 ?? 0);
        BinaryPrimitives.WriteInt64LittleEndian(f[48..], r.TimestampNs ?? 0);
        BinaryPrimitives.WriteInt64LittleEndian(f[56..], r.ProcSeq ?? 0);
        for (var i = 0; i < nargs; i++) BinaryPrimitives.WriteUInt64LittleEndian(dst[(Fixed + i * 8)..], r.Args[i]);
        return pos;
    }

    /// <summary>Decodes a payload into the reused <paramref name="r"/>. <paramref name="intern"/> turns repeated
    /// short strings (names, keys) into shared instances. Malformed input raises <see cref="InvalidDataException"/>.</summary>
    public static void Decode(ReadOnlySpan<byte> src, SyscallRecord r, Func<ReadOnlySpan<byte>, string> intern)
    {
        if (src.Length < Fixed + 8) throw new InvalidDataException($"ring record of {src.Length} bytes is shorter than its fixed part");
        // the args array of the record before is refilled when it has the right length (one allocation less a record:
        // the drain reuses one record, and sinks copy what they keep)
        var reusable = r.Args;
        r.Reset();
        r.LogType = (LogType)src[0];
        var flags = src[1];
        r.CpuId = BinaryPrimitives.ReadUInt16LittleEndian(src[2..]);
        var nargs = BinaryPrimitives.ReadUInt16LittleEndian(src[4..]);
        var f = src[8..];
        r.Pid = BinaryPrimitives.ReadUInt64LittleEndian(f);
        r.Tid = BinaryPrimitives.ReadUInt64LittleEndian(f[8..]);
        r.SysNo = BinaryPrimitives.ReadUInt64LittleEndian(f[16..]);
        r.RetVal = BinaryPrimitives.ReadUInt64LittleEndian(f[24..]);
        if ((flags & HasPpid) != 0) r.ParentPid = BinaryPrimitives.ReadUInt64LittleEndian(f[32..]);
        if ((flags & HasCr3) != 0) r.Cr3 = BinaryPrimitives.ReadUInt64LittleEndian(f[40..]);
        if ((flags & HasTime) != 0) r.TimestampNs = BinaryPrimitives.ReadInt64LittleEndian(f[48..]);
        if ((flags & HasSeq) != 0) r.ProcSeq = BinaryPrimitives.ReadInt64LittleEndian(f[56..]);
        var pos = Fixed;
        if (nargs > 16 || pos + nargs * 8 > src.Length) throw new InvalidDataException($"ring record claims {nargs} args");
        if (nargs > 0)
        {
            var args = reusable.Length == nargs ? reusable : new ulong[nargs];
            for (var i = 0; i < nargs; i++) args[i] = BinaryPrimitives.ReadUInt64LittleEndian(src[(pos + i * 8)..]);
            r.Args = args;
        }
        pos += nargs * 8;
        r.ProcName = intern(Str(src, ref pos));
        r.Name = intern(Str(src, ref pos));
        r.Type = intern(Str(src, ref pos));
        if (pos + 2 > src.Length) throw new InvalidDataException("ring record truncated before its info count");
        var count = BinaryPrimitives.ReadUInt16LittleEndian(src[pos..]);
        pos += 2;
        for (var i = 0; i < count; i++)
        {
            if (pos >= src.Length) throw new InvalidDataException("ring record truncated in additional_info");
            var kind = (InfoValueKind)src[pos++];
            if (kind > InfoValueKind.PartlyUnreadableJson) throw new InvalidDataException($"ring record has additional_info kind {(byte)kind}");
            var key = intern(Str(src, ref pos));
            var value = Encoding.UTF8.GetString(Str(src, ref pos));
            ulong address = 0;
            if (kind is InfoValueKind.Unreadable or InfoValueKind.PartlyUnreadableJson)
            {
                if (pos + 8 > src.Length) throw new InvalidDataException("ring record truncated in an unreadable value's address");
                address = BinaryPrimitives.ReadUInt64LittleEndian(src[pos..]);
                pos += 8;
            }
            r.AdditionalInfo.Set(key, new InfoValue(value, kind, address));
        }
        if ((flags & Truncated) != 0) r.AdditionalInfo.Set("truncated", "1");
    }

    /// <summary>A string's length is a u16; from <see cref="LongString"/> bytes on (a captured write's data) it is that
    /// marker followed by a u32, so short strings keep their two-byte prefix.</summary>
    private const int LongString = ushort.MaxValue;

    private static bool TryStr(Span<byte> dst, ref int pos, string s, RingStringCache? strings)
    {
        if (pos + 2 > dst.Length) return false;
        if (strings?.Get(s) is { Length: < LongString } cached)
        {
            if (cached.Length > dst.Length - pos - 2) return false;
            cached.CopyTo(dst[(pos + 2)..]);
            BinaryPrimitives.WriteUInt16LittleEndian(dst[pos..], (ushort)cached.Length);
            pos += 2 + cached.Length;
            return true;
        }
        var max = dst.Length - pos - 2;
        if (Encoding.UTF8.GetMaxByteCount(s.Length) > max && Encoding.UTF8.GetByteCount(s) > max) return false;
        var n = Encoding.UTF8.GetBytes(s, dst[(pos + 2)..]);
        if (n < LongString)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(dst[pos..], (ushort)n);
            pos += 2 + n;
            return true;
        }
        if (n + 4 > max) return false;
        dst.Slice(pos + 2, n).CopyTo(dst[(pos + 6)..]); // overlapping: CopyTo moves
        BinaryPrimitives.WriteUInt16LittleEndian(dst[pos..], LongString);
        BinaryPrimitives.WriteInt32LittleEndian(dst[(pos + 2)..], n);
        pos += 6 + n;
        return true;
    }

    private static ReadOnlySpan<byte> Str(ReadOnlySpan<byte> src, ref int pos)
    {
        if (pos + 2 > src.Length) throw new InvalidDataException("ring record truncated in a string length");
        int n = BinaryPrimitives.ReadUInt16LittleEndian(src[pos..]);
        var head = 2;
        if (n == LongString)
        {
            if (pos + 6 > src.Length) throw new InvalidDataException("ring record truncated in a long string's length");
            n = BinaryPrimitives.ReadInt32LittleEndian(src[(pos + 2)..]);
            head = 6;
        }
        if (n < 0 || n > src.Length - pos - head) throw new InvalidDataException($"ring record string of {n} bytes runs past the record");
        var s = src.Slice(pos + head, n);
        pos += head + n;
        return s;
    }
}
