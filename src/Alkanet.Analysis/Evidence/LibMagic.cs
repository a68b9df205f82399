using System.Runtime.InteropServices;

namespace Alkanet.Analysis.Evidence;

/// <summary>
/// File types from Debian's libmagic (package libmagic1, the library behind file(1)), through P/Invoke: one cookie
/// per call, so it is safe from any thread. Without the library every type is null and the artifacts say so.
/// </summary>
public static partial class LibMagic
{
    private const string Library = "libmagic.so.1";
    private const int MagicNone = 0, MagicMimeType = 0x10;
    private static readonly Lazy<bool> Present = new(() => NativeLibrary.TryLoad(Library, out _));

    /// <summary>True when libmagic.so.1 can be loaded.</summary>
    public static bool Available => Present.Value;

    /// <summary>file(1)'s description of <paramref name="content"/> ("ELF 64-bit LSB executable, ..."), or null.</summary>
    public static string? Describe(ReadOnlySpan<byte> content) => Query(content, MagicNone);

    /// <summary>The MIME type ("application/x-executable"), or null.</summary>
    public static string? MimeType(ReadOnlySpan<byte> content) => Query(content, MagicMimeType);

    private static unsafe string? Query(ReadOnlySpan<byte> content, int flags)
    {
        if (!Available) return null;
        var cookie = magic_open(flags);
        if (cookie == 0) return null;
        try
        {
            if (magic_load(cookie, null) != 0) return null; // the default database (/usr/share/misc/magic.mgc)
            fixed (byte* p = content)
            {
                var text = magic_buffer(cookie, p, (nuint)content.Length);
                return text == 0 ? null : Marshal.PtrToStringUTF8(text);
            }
        }
        finally
        {
            magic_close(cookie);
        }
    }

    [LibraryImport(Library)]
    private static partial nint magic_open(int flags);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int magic_load(nint cookie, string? file);

    [LibraryImport(Library)]
    private static unsafe partial nint magic_buffer(nint cookie, byte* buffer, nuint length);

    [LibraryImport(Library)]
    private static partial void magic_close(nint cookie);
}
