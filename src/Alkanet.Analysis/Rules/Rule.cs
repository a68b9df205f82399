namespace Alkanet.Analysis.Rules;

/// <summary>
/// A detection rule, read from YAML (data/rules/*.yaml, or --rules DIR). Either <see cref="Match"/>
/// (one behaviour item) or <see cref="Sequence"/> (ordered cross-process steps on one source→target pair).
/// </summary>
public sealed class Rule
{
    public string Id { get; set; } = "";

    public string Title { get; set; } = "";

    public string Description { get; set; } = "";

    /// <summary>info, low, medium, high or critical.</summary>
    public string Severity { get; set; } = "medium";

    /// <summary>ATT&amp;CK technique ids (T1055, T1547.001).</summary>
    public List<string> Attack { get; set; } = [];

    /// <summary>Informational: windows, linux or any.</summary>
    public string Os { get; set; } = "any";

    public ItemPattern? Match { get; set; }

    /// <summary>Steps in order; a step is a spread kind, alternatives joined by '|', optional with a trailing '?'.</summary>
    public List<string>? Sequence { get; set; }

    /// <summary>For sequences: true = the target must be a child the source created (hollowing); false = must not be.</summary>
    public bool? TargetIsChild { get; set; }

    /// <summary>For sequences: report only when no other sequence rule matched the same pair (a generic catch-all).</summary>
    public bool Fallback { get; set; }

    /// <summary>File the rule came from, for error messages.</summary>
    [YamlDotNet.Serialization.YamlIgnore]
    public string Source { get; set; } = "";
}

/// <summary>What one behaviour item must look like. Regexes are .NET syntax, matched case-insensitively.</summary>
public sealed class ItemPattern
{
    /// <summary>Behaviour kinds (file_write, registry_set...); one of them must be the item's.</summary>
    public List<string> Kind { get; set; } = [];

    public string? Object { get; set; }

    public string? Detail { get; set; }

    /// <summary>A tag the item must carry (autostart, executable).</summary>
    public string? Tag { get; set; }

    /// <summary>The object must be the image of one of the sample's own processes (self-deletion).</summary>
    public bool SelfImage { get; set; }
}
