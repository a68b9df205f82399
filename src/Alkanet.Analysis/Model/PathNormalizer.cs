using System.Text.RegularExpressions;

namespace Alkanet.Analysis.Model;

/// <summary>
/// Puts file paths and registry keys from different tools into one form so they can be compared: case folded,
/// NT prefixes removed (<c>\??\</c>, <c>\\?\</c>, <c>\Device\HarddiskVolumeN\</c>, <c>\SystemRoot\</c>), registry roots
/// abbreviated (<c>\REGISTRY\MACHINE</c> = <c>HKEY_LOCAL_MACHINE</c> = <c>hklm</c>; a user's SID hive = <c>hkcu</c>),
/// <c>ControlSet00N</c> = <c>CurrentControlSet</c>, and per-user folders and environment variables written one way
/// (<c>C:\Users\NAME\</c> and <c>%USERPROFILE%</c> = <c>%userprofile%\</c>, <c>%TEMP%</c>, <c>%APPDATA%</c>, <c>%WINDIR%</c>...).
/// </summary>
public static partial class PathNormalizer
{
    private static readonly (string From, string To)[] EnvVars =
    [
        ("%temp%", "%userprofile%\\appdata\\local\\temp"),
        ("%tmp%", "%userprofile%\\appdata\\local\\temp"),
        ("%localappdata%", "%userprofile%\\appdata\\local"),
        ("%appdata%", "%userprofile%\\appdata\\roaming"),
        ("%windir%", "c:\\windows"),
        ("%systemroot%", "c:\\windows"),
        ("%programfiles%", "c:\\program files"),
        ("%programdata%", "c:\\programdata"),
        ("%systemdrive%", "c:"),
        ("%public%", "c:\\users\\public"),
    ];

    private static readonly (string From, string To)[] RegistryRoots =
    [
        ("\\registry\\machine", "hklm"),
        ("hkey_local_machine", "hklm"),
        ("hkey_current_user", "hkcu"),
        ("hkey_classes_root", "hklm\\software\\classes"),
        ("hkcr", "hklm\\software\\classes"),
        ("\\registry\\user", "hku"),
        ("hkey_users", "hku"),
    ];

    [GeneratedRegex(@"^hku\\s-1-5-21-[0-9-]+(_classes)?(?=\\|$)")]
    private static partial Regex UserHive();

    [GeneratedRegex(@"^\\device\\harddiskvolume\d+(?=\\|$)")]
    private static partial Regex VolumeDevice();

    [GeneratedRegex(@"^c:\\(users|documents and settings)\\(?!public\\)[^\\]+(?=\\|$)")]
    private static partial Regex UserProfile();

    [GeneratedRegex(@"\\controlset\d{3}\\")]
    private static partial Regex ControlSet();

    public static string Normalize(string path)
    {
        if (string.IsNullOrEmpty(path)) return "";
        var s = path.Trim().Trim('"').ToLowerInvariant();
        if (s.StartsWith('/')) return s.TrimEnd('/'); // a Linux path: only case is folded
        s = s.Replace('/', '\\');
        if (s.StartsWith("\\??\\", StringComparison.Ordinal) || s.StartsWith("\\\\?\\", StringComparison.Ordinal)) s = s[4..];
        if (s.StartsWith("\\systemroot", StringComparison.Ordinal)) s = "c:\\windows" + s[11..];
        s = VolumeDevice().Replace(s, "c:");
        foreach (var (from, to) in RegistryRoots)
        {
            if (s.StartsWith(from, StringComparison.Ordinal) && (s.Length == from.Length || s[from.Length] == '\\'))
            {
                s = to + s[from.Length..];
                break;
            }
        }
        s = UserHive().Replace(s, "hkcu");
        s = ControlSet().Replace(s, "\\currentcontrolset\\");
        foreach (var (from, to) in EnvVars)
        {
            if (s.StartsWith(from, StringComparison.Ordinal)) { s = to + s[from.Length..]; break; }
        }
        s = UserProfile().Replace(s, "%userprofile%");
        return s.TrimEnd('\\');
    }
}
