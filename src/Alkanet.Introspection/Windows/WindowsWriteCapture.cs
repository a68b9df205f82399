using Alkanet.Introspection.Memory;

namespace Alkanet.Introspection.Windows;

/// <summary>
/// With <see cref="WindowsDecoderOptions.CaptureWrites"/> (the plugin's <c>capture=on</c>, docs/EVIDENCE.md): the bytes a
/// call hands the kernel to write, read from the caller's buffer at ENTER, as <c>data</c> (base64, up to the per-call cap
/// <see cref="WindowsDecoderOptions.CaptureCallBytes"/>; <c>&lt;unreadable@ADDR&gt;</c> when none could be read;
/// <c>data_unread</c>: where a partly readable buffer stopped), the same as the Linux hook's. The host rebuilds dropped
/// files and injected regions from them; the guest pays one bounded read per call.
/// </summary>
public static class WindowsWriteCapture
{
    // One buffer per thread (a vCPU's), grown to the largest capture asked: no allocation per call once warm.
    [ThreadStatic] private static byte[]? t_capture;

    // LARGE_INTEGER ByteOffset specials (ntifs.h): write at the end of the file; use the file object's position.
    private const ulong WriteToEndOfFile = 0xFFFF_FFFF_FFFF_FFFF;
    private const ulong UseFilePointerPosition = 0xFFFF_FFFF_FFFF_FFFE;

    /// <summary>NtWriteFile(FileHandle, Event, ApcRoutine, ApcContext, IoStatusBlock, Buffer, Length, ByteOffset, Key):
    /// <c>data</c>, and where the bytes go: <c>offset</c> (hex) from ByteOffset, else from the file object's
    /// CurrentByteOffset (synchronous I/O keeps it); <c>to_end_of_file</c> = 1 for FILE_WRITE_TO_END_OF_FILE.</summary>
    public static void WriteFile(DecodeContext c)
    {
        if (!c.Options.CaptureWrites) return;
        var byteOffset = c.Arg(7);
        ulong offset = UseFilePointerPosition;
        if (byteOffset != 0 && !c.Memory.TryReadU64(byteOffset, out offset))
        {
            c.Unreadable("offset", byteOffset);
            offset = 0;
        }
        else if (offset == WriteToEndOfFile) c.Text("to_end_of_file", "1");
        else if (offset == UseFilePointerPosition)
        {
            if (FilePosition(c, c.Arg(0)) is { } position) c.HexValue("offset", position);
        }
        else if ((long)offset >= 0) c.HexValue("offset", offset);
        Data(c, c.Arg(5), c.Arg(6));
    }

    /// <summary>NtWriteVirtualMemory(ProcessHandle, BaseAddress, Buffer, Size, NumberOfBytesWritten): the bytes of the
    /// caller's buffer that go to BaseAddress in the target.</summary>
    public static void WriteVirtualMemory(DecodeContext c)
    {
        if (c.Options.CaptureWrites) Data(c, c.Arg(2), c.Arg(3));
    }

    /// <summary>NtMapViewOfSection(SectionHandle, ProcessHandle, *BaseAddress, ZeroBits, CommitSize, SectionOffset, *ViewSize,
    /// ...) at EXIT, when it succeeded: a view mapped into the caller itself is remembered (<see cref="SectionViews"/>); a
    /// view mapped into another process gets <c>data</c> from the caller's own view of the same section (its address in
    /// <c>local_view</c>), as the bytes are then: a view the caller never mapped, or filled after this call, is not
    /// captured (the record has no <c>data</c>).</summary>
    public static void MapViewOfSection(DecodeContext c)
    {
        if (!c.Options.CaptureWrites || !c.Succeeded || c.Caller.Process == 0) return;
        if (!c.Memory.TryReadU64(c.Arg(2), out var view) || !c.Memory.TryReadU64(c.Arg(6), out var size)) return;
        var section = c.Objects.ObjectHeader(c.Memory, c.Caller.Process, c.Arg(0));
        if (section == 0) return;
        var process = c.Arg(1);
        if (WindowsObjects.IsCurrentProcess(process) || (c.Objects.TryProcessId(c.Memory, c.Caller, process, out var pid) && pid == c.Caller.Pid))
        {
            c.Views.Mapped(c.Caller.Process, section, view, size);
            return;
        }
        if (!c.Views.TryGet(c.Caller.Process, section, out var local, out var localSize)) return;
        c.HexValue("local_view", local);
        Data(c, local, Math.Min(size, localSize));
    }

    /// <summary>NtUnmapViewOfSection(ProcessHandle, BaseAddress) of the caller's own view: forget it.</summary>
    public static void UnmapViewOfSection(DecodeContext c)
    {
        if (c.Options.CaptureWrites && c.Caller.Process != 0 && WindowsObjects.IsCurrentProcess(c.Arg(0)))
            c.Views.Unmapped(c.Caller.Process, c.Arg(1));
    }

    /// <summary>The bytes at <paramref name="buffer"/>: <paramref name="length"/>, at most the per-call cap; where the read
    /// stopped early (an unmapped page), <c>data_unread</c> is that address and the host marks the rest a gap.</summary>
    public static void Data(DecodeContext c, ulong buffer, ulong length)
    {
        var want = (int)Math.Min(length, (ulong)c.Options.CaptureCallBytes);
        if (want <= 0) return;
        if (t_capture is null || t_capture.Length < want) t_capture = new byte[Math.Max(want, 4096)];
        var data = t_capture.AsSpan(0, want);
        var got = c.Memory.Read(buffer, data);
        if (got > 0) c.Text("data", Base64(c, data[..got]));
        else c.Unreadable("data", buffer);
        if (got > 0 && got < want) c.HexValue("data_unread", buffer + (ulong)got);
    }

    /// <summary>Base64 of <paramref name="bytes"/>, from the decoder's <see cref="DecodeContext.Texts"/> when short enough:
    /// the same bytes written again (a repeated log line, a re-sent buffer) build no new string.</summary>
    private static string Base64(DecodeContext c, ReadOnlySpan<byte> bytes)
    {
        var length = (bytes.Length + 2) / 3 * 4;
        if (length > GuestTextPool.MaxLength) return Convert.ToBase64String(bytes);
        Span<char> chars = stackalloc char[length];
        return Convert.TryToBase64Chars(bytes, chars, out var written) ? c.Texts.Get(chars[..written]) : Convert.ToBase64String(bytes);
    }

    /// <summary>FILE_OBJECT.CurrentByteOffset of the file <paramref name="handle"/> refers to, or null when the handle
    /// is not a file's or the field cannot be read.</summary>
    private static ulong? FilePosition(DecodeContext c, ulong handle)
    {
        var header = c.Objects.ObjectHeader(c.Memory, c.Caller.Process, handle);
        if (header == 0 || c.Objects.TypeName(c.Memory, header) != "File"
            || !c.Profile.Isf.TryGetField("_FILE_OBJECT", "CurrentByteOffset", out var field)) return null;
        return c.Memory.TryReadU64(c.Objects.ObjectBody(header) + field.Offset, out var position) && (long)position >= 0 ? position : null;
    }
}
