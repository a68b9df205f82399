using System.Reflection;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Alkanet.Analysis.Rules;

/// <summary>Loads the shipped rules (embedded from data/rules) and user rules from a directory; a user rule
/// with a shipped rule's id replaces it.</summary>
public sealed class RuleSet
{
    private static readonly string[] Severities = ["info", "low", "medium", "high", "critical"];

    public List<Rule> Rules { get; } = [];

    public static RuleSet LoadDefault(string? userDir = null)
    {
        var set = new RuleSet();
        var asm = typeof(RuleSet).Assembly;
        foreach (var name in asm.GetManifestResourceNames()
            .Where(n => n.StartsWith("rules/", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var s = asm.GetManifestResourceStream(name)!;
            using var r = new StreamReader(s);
            set.AddYaml(r.ReadToEnd(), "(shipped) " + name);
        }
        if (userDir is not null)
        {
            if (!Directory.Exists(userDir)) throw new RuleFormatException($"{userDir}: rules directory not found");
            foreach (var f in Directory.EnumerateFiles(userDir)
                .Where(f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal))
                set.AddYaml(File.ReadAllText(f), f);
        }
        return set;
    }

    public void AddYaml(string yaml, string source)
    {
        var deserializer = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).Build();
        List<Rule>? rules;
        try
        {
            rules = deserializer.Deserialize<List<Rule>>(yaml);
        }
        catch (YamlException ex)
        {
            throw new RuleFormatException($"{source}: line {ex.Start.Line}, column {ex.Start.Column}: {(ex.InnerException ?? ex).Message}");
        }
        foreach (var rule in rules ?? [])
        {
            rule.Source = source;
            Validate(rule);
            Rules.RemoveAll(r => r.Id == rule.Id);
            Rules.Add(rule);
        }
    }

    private static void Validate(Rule r)
    {
        string Where() => $"{r.Source}: rule '{r.Id}'";
        if (string.IsNullOrWhiteSpace(r.Id)) throw new RuleFormatException($"{r.Source}: a rule has no id");
        if ((r.Match is null) == (r.Sequence is null)) throw new RuleFormatException($"{Where()}: needs exactly one of 'match' or 'sequence'");
        if (!Severities.Contains(r.Severity)) throw new RuleFormatException($"{Where()}: severity must be one of {string.Join(", ", Severities)}");
        if (r.Match is { } m)
        {
            if (m.Kind.Count == 0) throw new RuleFormatException($"{Where()}: match needs a kind");
            foreach (var (field, pattern) in new[] { ("object", m.Object), ("detail", m.Detail) })
            {
                if (pattern is null) continue;
                try { _ = new Regex(pattern); }
                catch (ArgumentException ex) { throw new RuleFormatException($"{Where()}: {field} is not a valid regex: {ex.Message}"); }
            }
        }
        if (r.Sequence is { Count: 0 }) throw new RuleFormatException($"{Where()}: sequence is empty");
    }
}

public sealed class RuleFormatException(string message) : Exception(message)
{
    public RuleFormatException() : this("bad rule") { }

    public RuleFormatException(string message, Exception inner) : this(message) => _ = inner;
}
