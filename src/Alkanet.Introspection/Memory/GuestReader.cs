using System.Buffers.Binary;
using System.Text;
using Alkanet.Core.Records;

namespace Alkanet.Introspection.Memory;

/// <summary>Bounded readers of guest values. Every read has a fixed size or an explicit cap; nothing follows a
/// guest-controlled length or pointer chain without a bound, and no guest data raises an exception.</summary>
public static class GuestReader
{
    /// <summary>Default cap on one string read from the guest (UNICODE_STRING lengths are 16-bit anyway: 64 KiB).</summary>
    public const int DefaultMaxStringBytes = 4096;

    public static bool TryReadU8(this IVirtualMemory m, ulong va, out byte value)
    {
        Span<byte> b = stackalloc byte[1];
        var ok = m.Read(va, b) == 1;
        value = ok ? b[0] : (byte)0;
        return ok;
    }

    public static bool TryReadU16(this IVirtualMemory m, ulong va, out ushort value)
    {
        Span<byte> b = stackalloc byte[2];
        var ok = m.Read(va, b) == 2;
        value = ok ? BinaryPrimitives.ReadUInt16LittleEndian(b) : (ushort)0;
        return ok;
    }

    public static bool TryReadU32(this IVirtualMemory m, ulong va, out uint value)
    {
        Span<byte> b = stackalloc byte[4];
        var ok = m.Read(va, b) == 4;
        value = ok ? BinaryPrimitives.ReadUInt32LittleEndian(b) : 0;
        return ok;
    }

    public static bool TryReadU64(this IVirtualMemory m, ulong va, out ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        var ok = m.Read(va, b) == 8;
        value = ok ? BinaryPrimitives.ReadUInt64LittleEndian(b) : 0;
        return ok;
    }

    /// <summary>Reads an unsigned integer of 1, 2, 4 or 8 bytes.</summary>
    public static bool TryReadUnsigned(this IVirtualMemory m, ulong va, int size, out ulong value)
    {
        value = 0;
        switch (size)
        {
            case 1: { var ok = m.TryReadU8(va, out var v); value = v; return ok; }
            case 2: { var ok = m.TryReadU16(va, out var v); value = v; return ok; }
            case 4: { var ok = m.TryReadU32(va, out var v); value = v; return ok; }
            case 8: return m.TryReadU64(va, out value);
            default: return false;
        }
    }

    /// <summary>A user-mode pointer (lower half, bit 63 clear; 4- or 5-level paging), as arguments from user mode must be.</summary>
    public static bool IsUserAddress(ulong va) => va != 0 && (long)va > 0;

    /// <summary>A kernel-mode pointer (upper half, bit 63 set; 4- or 5-level paging).</summary>
    public static bool IsKernelAddress(ulong va) => (long)va < 0;

    /// <summary>Reads <paramref name="byteLength"/> bytes of UTF-16 at <paramref name="buffer"/>, capped at
    /// <paramref name="maxBytes"/>; an odd length drops its last byte. A string that runs into an unmapped page
    /// keeps what was read and reports the first unreadable address.</summary>
    public static GuestString ReadUtf16(this IVirtualMemory m, ulong buffer, int byteLength, int maxBytes = DefaultMaxStringBytes)
    {
        if (byteLength <= 0) return new GuestString("", 0, false, 0);
        var truncated = false;
        var want = byteLength;
        if (want > maxBytes) { want = maxBytes; truncated = true; }
        want &= ~1;
        if (want == 0) return new GuestString("", 0, truncated, 0);
        var rented = want <= 512 ? null : System.Buffers.ArrayPool<byte>.Shared.Rent(want);
        Span<byte> bytes = rented is null ? stackalloc byte[want] : rented.AsSpan(0, want);
        try
        {
            var got = m.Read(buffer, bytes) & ~1;
            var text = Encoding.Unicode.GetString(bytes[..got]);
            if (got < want) return new GuestString(text, buffer + (ulong)got, true, (ulong)got);
            return new GuestString(text, 0, truncated, (ulong)got);
        }
        finally
        {
            if (rented is not null) System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private const uint MaxDescriptorSpan = 32;

    /// <summary>A counted string descriptor's (UNICODE_STRING) Length and Buffer, in one read when the layout allows (a live
    /// hook pays per read, not per byte); false when either is unreadable.</summary>
    public static bool TryReadUnicodeDescriptor(this IVirtualMemory m, in UnicodeStringLayout layout, ulong address, out ushort length,
        out ulong buffer)
    {
        var lo = Math.Min(layout.LengthOffset, layout.BufferOffset);
        var span = Math.Max(layout.LengthOffset + 2, layout.BufferOffset + 8) - lo;
        if (span <= MaxDescriptorSpan)
        {
            Span<byte> bytes = stackalloc byte[(int)span];
            if (m.Read(address + lo, bytes) == bytes.Length)
            {
                length = BinaryPrimitives.ReadUInt16LittleEndian(bytes[(int)(layout.LengthOffset - lo)..]);
                buffer = BinaryPrimitives.ReadUInt64LittleEndian(bytes[(int)(layout.BufferOffset - lo)..]);
                return true;
            }
        }
        buffer = 0;
        return m.TryReadU16(address + layout.LengthOffset, out length) && m.TryReadU64(address + layout.BufferOffset, out buffer);
    }

    /// <summary>Reads a counted UTF-16 string descriptor (UNICODE_STRING: a 16-bit byte length and a buffer pointer;
    /// their offsets come from the symbol table).</summary>
    public static GuestString ReadUnicodeString(this IVirtualMemory m, ulong address, in UnicodeStringLayout layout,
        int maxBytes = DefaultMaxStringBytes)
    {
        if (!m.TryReadUnicodeDescriptor(layout, address, out var length, out var buffer)) return GuestString.Unreadable(address);
        if (length == 0) return new GuestString("", 0, false, 0);
        if (buffer == 0) return GuestString.Unreadable(0);
        return m.ReadUtf16(buffer, length, maxBytes);
    }

    /// <summary>Reads a NUL-terminated 8-bit string of at most <paramref name="maxBytes"/> bytes (Latin-1, as the
    /// kernel's ANSI names are for the ASCII range); stops early at an unmapped page.</summary>
    public static GuestString ReadAnsi(this IVirtualMemory m, ulong address, int maxBytes = 256)
    {
        if (maxBytes <= 0) return new GuestString("", 0, false, 0);
        Span<byte> bytes = maxBytes <= 512 ? stackalloc byte[maxBytes] : new byte[maxBytes];
        var got = m.Read(address, bytes);
        var nul = bytes[..got].IndexOf((byte)0);
        if (nul >= 0) return new GuestString(Encoding.Latin1.GetString(bytes[..nul]), 0, false, (ulong)nul);
        if (got == 0) return GuestString.Unreadable(address);
        return new GuestString(Encoding.Latin1.GetString(bytes[..got]), got < maxBytes ? address + (ulong)got : 0, true, (ulong)got);
    }

    /// <summary>Reads a fixed-size 8-bit name (EPROCESS.ImageFileName, 15 bytes), up to its first NUL.</summary>
    public static string? ReadFixedAnsi(this IVirtualMemory m, ulong address, int size)
    {
        Span<byte> bytes = stackalloc byte[Math.Clamp(size, 0, 256)];
        if (m.Read(address, bytes) != bytes.Length) return null;
        var nul = bytes.IndexOf((byte)0);
        return Encoding.Latin1.GetString(nul >= 0 ? bytes[..nul] : bytes);
    }

    /// <summary>Default cap on a C string (a path) read from the guest.</summary>
    public const int MaxPathBytes = 512;

    private const ulong PageSize = 4096;

    /// <summary>Reads the NUL-terminated UTF-8 string at <paramref name="address"/> (at most <paramref name="maxBytes"/>
    /// bytes, invalid bytes replaced), page by page, so a string that runs into an unmapped page keeps its readable
    /// part (and says where reading stopped). Unreadable when the address is 0 or its first byte cannot be read.</summary>
    public static GuestString ReadCString(this IVirtualMemory m, ulong address, int maxBytes = MaxPathBytes)
    {
        if (address == 0) return GuestString.Unreadable(0);
        if (maxBytes <= 0) return new GuestString("", 0, true, 0);
        var rented = maxBytes <= 1024 ? null : System.Buffers.ArrayPool<byte>.Shared.Rent(maxBytes);
        Span<byte> buf = rented is null ? stackalloc byte[maxBytes] : rented.AsSpan(0, maxBytes);
        try
        {
            var got = 0;
            while (got < maxBytes)
            {
                var here = address + (ulong)got;
                var toPageEnd = (int)Math.Min(PageSize - (here & (PageSize - 1)), 128UL);
                var want = Math.Min(toPageEnd, maxBytes - got);
                var n = m.Read(here, buf.Slice(got, want));
                if (n <= 0) break;
                var nul = buf.Slice(got, n).IndexOf((byte)0);
                if (nul >= 0) return new GuestString(Encoding.UTF8.GetString(buf[..(got + nul)]), 0, false, (ulong)(got + nul));
                got += n;
                if (n < want) break;
            }
            if (got == 0) return GuestString.Unreadable(address);
            var text = Encoding.UTF8.GetString(buf[..got]);
            return new GuestString(text, got < maxBytes ? address + (ulong)got : 0, true, (ulong)got);
        }
        finally
        {
            if (rented is not null) System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }
}

/// <summary>Offsets of a counted string descriptor, from the symbol table (_UNICODE_STRING.Length/Buffer).</summary>
public readonly record struct UnicodeStringLayout(uint LengthOffset, uint BufferOffset, uint Size);

/// <summary>A string read from the guest: the text read (possibly partial), and where reading failed if it did.</summary>
public readonly record struct GuestString(string? Text, ulong FailedAt, bool Truncated, ulong BytesRead)
{
    public static GuestString Unreadable(ulong address) => new(null, address, true, 0);

    /// <summary>True when nothing at all could be read (the descriptor or the first byte of the buffer).</summary>
    public bool IsUnreadable => Text is null;

    /// <summary>True when a page in the middle of the string was unmapped (a partial text was kept).</summary>
    public bool IsPartial => Text is not null && FailedAt != 0;

    /// <summary>The value for a record: the string (after <paramref name="prefix"/>), or an unreadable value at
    /// <see cref="FailedAt"/> holding the prefix and the partial text read before it.</summary>
    public InfoValue ToInfoValue(string prefix = "") =>
        Text is null || FailedAt != 0 ? InfoValue.Unreadable(FailedAt, prefix + Text) : InfoValue.String(prefix + Text);

    /// <summary>The value as the log writes it (for names kept as plain strings: a process's image, a cached name).</summary>
    public string ToRecordText() => ToInfoValue().ToString();
}
