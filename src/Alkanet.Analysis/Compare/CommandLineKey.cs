using System.Text;

namespace Alkanet.Analysis.Compare;

/// <summary>
/// The comparison key of a command line, so that one command matches however a sandbox wrote it: the program by its file
/// name (quoted or not, with or without its folder: <c>"C:\T\system.exe" -a x</c> and <c>system.exe -a x</c> are one
/// command), the arguments with their quotes removed and spaces collapsed, case-insensitive. CAPE sometimes writes the
/// application name before a command line that names the program again (<c>C:\W\PING.EXE ping.exe -n 6</c>): the
/// repeated program is dropped.
/// </summary>
public static class CommandLineKey
{
    public static string Of(string commandLine)
    {
        var words = Split(commandLine);
        if (words.Count == 0) return "";
        var program = FileName(words[0]);
        var start = 1;
        if (words.Count > 1 && string.Equals(FileName(words[1]), program, StringComparison.OrdinalIgnoreCase)) start = 2;
        var sb = new StringBuilder(StripExe(program));
        for (var i = start; i < words.Count; i++) sb.Append(' ').Append(words[i]);
        return sb.ToString().ToLowerInvariant();
    }

    private static string FileName(string path)
    {
        var slash = path.LastIndexOfAny(['\\', '/']);
        return slash < 0 ? path : path[(slash + 1)..];
    }

    private static string StripExe(string name) =>
        name.EndsWith(".exe", StringComparison.OrdinalIgnoreCase) ? name[..^4] : name;

    /// <summary>Windows command-line words: spaces separate, double quotes group (and are dropped), \" is a quote.</summary>
    private static List<string> Split(string s)
    {
        var words = new List<string>();
        var cur = new StringBuilder();
        var quoted = false;
        var any = false;
        for (var i = 0; i < s.Length; i++)
        {
            var ch = s[i];
            if (ch == '\\' && i + 1 < s.Length && s[i + 1] == '"') { cur.Append('"'); i++; any = true; }
            else if (ch == '"') { quoted = !quoted; any = true; }
            else if (char.IsWhiteSpace(ch) && !quoted)
            {
                if (any) words.Add(cur.ToString());
                cur.Clear();
                any = false;
            }
            else { cur.Append(ch); any = true; }
        }
        if (any) words.Add(cur.ToString());
        return words;
    }
}
