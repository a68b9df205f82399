using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Alkanet.Analysis.Evidence;

/// <summary>One rule match on one piece of content: the rule, its tags and meta, and which content (by SHA-256).</summary>
public sealed record YaraMatch(string Rule, IReadOnlyList<string> Tags, IReadOnlyDictionary<string, string> Meta, string Sha256);

/// <summary>Rules that do not compile: the message names the file and line (yara's own error).</summary>
public sealed class YaraRulesException(string message) : Exception(message);

/// <summary>
/// YARA rules (<c>--yara FILE|DIR</c>: a file, or every *.yar/*.yara of a folder), run through Debian's <c>yara</c>
/// program (scripts/setup.d/60-evidence.sh). <see cref="Load"/> compiles each file once against /dev/null, so bad rules
/// fail before a guest boots; <see cref="Scan"/> writes the contents to a temporary folder named by SHA-256 and runs
/// each file over it with <c>-g -m</c> (tags and meta printed).
/// </summary>
public sealed partial class YaraRules
{
    public const string Program = "yara";

    private YaraRules(IReadOnlyList<string> files) => Files = files;

    public IReadOnlyList<string> Files { get; }

    /// <exception cref="YaraRulesException">No such file or folder, no rule file in it, no yara program, or a rule error.</exception>
    public static YaraRules Load(string path)
    {
        string[] files;
        if (File.Exists(path)) files = [Path.GetFullPath(path)];
        else if (Directory.Exists(path))
            files = [.. Directory.EnumerateFiles(path).Where(f => f.EndsWith(".yar", StringComparison.OrdinalIgnoreCase)
                || f.EndsWith(".yara", StringComparison.OrdinalIgnoreCase)).Select(Path.GetFullPath).Order(StringComparer.Ordinal)];
        else throw new YaraRulesException($"--yara: {path}: no such file or folder");
        if (files.Length == 0) throw new YaraRulesException($"--yara: {path}: no .yar or .yara file in the folder");
        foreach (var f in files)
        {
            var (code, _, err) = Run(["-w", f, "/dev/null"]);
            if (code != 0) throw new YaraRulesException($"--yara: {f}: {err.Trim()}");
        }
        return new YaraRules(files);
    }

    /// <summary>Every match of every rule file on <paramref name="contents"/> (SHA-256, bytes).</summary>
    public IReadOnlyList<YaraMatch> Scan(IEnumerable<(string Sha256, ReadOnlyMemory<byte> Content)> contents)
    {
        var dir = Directory.CreateTempSubdirectory("alkanet-yara-").FullName;
        try
        {
            var any = false;
            foreach (var (sha, content) in contents)
            {
                if (!Sha256Name().IsMatch(sha)) throw new ArgumentException($"not a SHA-256: {sha}", nameof(contents));
                File.WriteAllBytes(Path.Combine(dir, sha), content.ToArray());
                any = true;
            }
            if (!any) return [];
            var matches = new List<YaraMatch>();
            foreach (var f in Files)
            {
                var (code, output, err) = Run(["-w", "-g", "-m", "-r", f, dir]);
                if (code != 0) throw new YaraRulesException($"--yara: {f}: {err.Trim()}");
                foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries)) matches.Add(Parse(line, dir + "/"));
            }
            return matches;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>A line of <c>yara -g -m</c>: <c>RULE [tag,tag] [key="value",key=1] PATH</c>.</summary>
    internal static YaraMatch Parse(string line, string dirPrefix)
    {
        var at = line.LastIndexOf(" " + dirPrefix, StringComparison.Ordinal);
        if (at < 0) throw new InvalidDataException($"yara printed an unexpected line: {line}");
        var sha = line[(at + 1 + dirPrefix.Length)..];
        var head = line[..at];
        var rule = head[..head.IndexOf(' ', StringComparison.Ordinal)];
        var tagsStart = head.IndexOf('[', StringComparison.Ordinal);
        var tagsEnd = head.IndexOf(']', tagsStart);
        var tags = head[(tagsStart + 1)..tagsEnd].Split(',', StringSplitOptions.RemoveEmptyEntries);
        var meta = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match m in MetaItem().Matches(head[(tagsEnd + 1)..]))
        {
            var v = m.Groups[2].Value;
            meta[m.Groups[1].Value] = v.StartsWith('"') ? Regex.Unescape(v[1..^1]) : v;
        }
        return new YaraMatch(rule, tags, meta, sha);
    }

    private static (int Code, string Out, string Err) Run(IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(Program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception) { throw new YaraRulesException("--yara needs the yara program (apt-get install yara)"); }
        using (p)
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, stdout.Result, stderr);
        }
    }

    [GeneratedRegex("^[0-9a-f]{64}$", RegexOptions.CultureInvariant)]
    private static partial Regex Sha256Name();

    [GeneratedRegex("""(\w+)=("(?:[^"\\]|\\.)*"|[^,\]]+)""", RegexOptions.CultureInvariant)]
    private static partial Regex MetaItem();
}
