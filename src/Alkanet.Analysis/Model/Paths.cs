using System.Globalization;
using System.Text.RegularExpressions;

namespace Alkanet.Analysis.Model;

/// <summary>Helpers to read the shared vocabulary's values: hex numbers, Windows object names, marks.</summary>
public static partial class Paths
{
    public static ulong? Hex(string? s)
    {
        if (string.IsNullOrEmpty(s)) return null;
        var t = s.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? s.AsSpan(2) : s.AsSpan();
        return ulong.TryParse(t, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var v) ? v : null;
    }

    public static long? Dec(string? s) =>
        long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;

    /// <summary>Splits a Windows <c>file_name</c>/<c>key_name</c> ("ROOT\ObjectName", ROOT a handle in hex) into its root handle and name.</summary>
    public static (ulong Root, string Name) SplitRooted(string value)
    {
        var slash = value.IndexOf('\\');
        if (slash is > 0 and <= 16)
        {
            var head = value.AsSpan(0, slash);
            if (ulong.TryParse(head, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var root))
            {
                var rest = value[(slash + 1)..];
                // "0\??\C:\x" and "0\REGISTRY\..." lost the absolute name's leading backslash to the separator.
                if (root == 0 && !rest.StartsWith('\\') && !(rest.Length >= 2 && rest[1] == ':')) rest = "\\" + rest;
                return (root, rest);
            }
        }
        return (0, value);
    }

    /// <summary>How a path is shown: <c>\??\C:\x</c> → <c>C:\x</c>; registry roots abbreviated.</summary>
    public static string Display(string path)
    {
        if (path.StartsWith("\\??\\", StringComparison.Ordinal)) path = path[4..];
        else if (path.StartsWith("\\\\?\\", StringComparison.Ordinal)) path = path[4..];
        if (path.StartsWith("\\REGISTRY\\", StringComparison.OrdinalIgnoreCase))
        {
            if (path.StartsWith("\\REGISTRY\\MACHINE", StringComparison.OrdinalIgnoreCase)) return "HKLM" + path[17..];
            if (path.StartsWith("\\REGISTRY\\USER", StringComparison.OrdinalIgnoreCase)) return "HKU" + path[14..];
        }
        return path;
    }

    /// <summary><see cref="Display(string)"/> without allocating: a slice of <paramref name="path"/>, or the result
    /// written into <paramref name="scratch"/>; a string only when the scratch is too small.</summary>
    public static ReadOnlySpan<char> Display(ReadOnlySpan<char> path, Span<char> scratch)
    {
        if (path.StartsWith("\\??\\") || path.StartsWith("\\\\?\\")) return path[4..];
        if (path.StartsWith("\\REGISTRY\\MACHINE", StringComparison.OrdinalIgnoreCase)) return Concat("HKLM", path[17..], scratch);
        if (path.StartsWith("\\REGISTRY\\USER", StringComparison.OrdinalIgnoreCase)) return Concat("HKU", path[14..], scratch);
        return path;
    }

    /// <summary>The display form of a root-relative name whose root handle is 0 ("0\??\C:\x", "0\REGISTRY\..."),
    /// or empty when <paramref name="value"/> has a non-zero root (the caller joins it to the root's name).</summary>
    public static ReadOnlySpan<char> DisplayRootless(ReadOnlySpan<char> value, Span<char> scratch)
    {
        var slash = value.IndexOf('\\');
        if (slash is > 0 and <= 16 && ulong.TryParse(value[..slash], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var root))
        {
            if (root != 0) return [];
            var rest = value[(slash + 1)..];
            if (rest.StartsWith("??\\")) return rest[3..];
            if (rest.StartsWith("REGISTRY\\MACHINE", StringComparison.OrdinalIgnoreCase)) return Concat("HKLM", rest[16..], scratch);
            if (rest.StartsWith("REGISTRY\\USER", StringComparison.OrdinalIgnoreCase)) return Concat("HKU", rest[13..], scratch);
            if (rest.StartsWith('\\') || (rest.Length >= 2 && rest[1] == ':')) return Display(rest, scratch);
            return Concat("\\", rest, scratch);
        }
        return Display(value, scratch);
    }

    public static ReadOnlySpan<char> Concat(ReadOnlySpan<char> a, ReadOnlySpan<char> b, Span<char> scratch)
    {
        if (a.Length + b.Length > scratch.Length) return string.Concat(a, b);
        a.CopyTo(scratch);
        b.CopyTo(scratch[a.Length..]);
        return scratch[..(a.Length + b.Length)];
    }

    public static ReadOnlySpan<char> Concat(ReadOnlySpan<char> a, ReadOnlySpan<char> b, ReadOnlySpan<char> c, Span<char> scratch)
    {
        if (a.Length + b.Length + c.Length > scratch.Length) return string.Concat(a, b, c);
        a.CopyTo(scratch);
        b.CopyTo(scratch[a.Length..]);
        c.CopyTo(scratch[(a.Length + b.Length)..]);
        return scratch[..(a.Length + b.Length + c.Length)];
    }

    public static string BaseName(string path)
    {
        var i = path.LastIndexOfAny(['\\', '/']);
        return i >= 0 ? path[(i + 1)..] : path;
    }

    [GeneratedRegex(@"\.(exe|dll|sys|scr|com|cpl|ocx|bat|cmd|ps1|vbs|vbe|js|jse|hta|msi|lnk|jar|elf|so|sh|py|pl)$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ExecutableExtension();

    public static bool LooksExecutable(string path) => ExecutableExtension().IsMatch(path);

    // One alternative a line: Windows autostart keys and folders, then Linux ones.
    [GeneratedRegex(
        @"(\\CurrentVersion\\(Run|RunOnce|RunServices|RunOnceEx|Policies\\Explorer\\Run)(\\|$))|" +
        @"(\\Winlogon\\(Shell|Userinit))|" +
        @"(\\(CurrentControlSet|ControlSet\d{3})\\Services\\[^\\]+\\(ImagePath|ServiceDll))|" +
        @"(\\Image File Execution Options\\)|" +
        @"(\\Schedule\\TaskCache\\)|" +
        @"(\\Start Menu\\Programs\\Startup\\)|" +
        @"(\\Windows\\System32\\Tasks\\)|" +
        @"(^/etc/(cron|crontab|anacrontab))|" +
        @"(^/var/spool/cron/)|" +
        @"(/systemd/(system|user)/)|" +
        @"(^/etc/init\.d/)|" +
        @"(^/etc/rc\.local$)|" +
        @"(^/etc/rc\d?\.d/)|" +
        @"(^/etc/profile)|" +
        @"(/\.(bashrc|bash_profile|profile|zshrc|bash_login)$)|" +
        @"(^/etc/bash\.bashrc$)|" +
        @"(/\.config/autostart/)|" +
        @"(^/etc/ld\.so\.preload$)",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AutostartLocation();

    /// <summary>True for registry keys/values and files that make something start again after reboot or logon.</summary>
    public static bool IsAutostart(string path) => AutostartLocation().IsMatch(path);
}
