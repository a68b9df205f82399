using System.Text.Json;

namespace Alkanet.Analysis.Rules;

/// <summary>ATT&amp;CK technique names and tactics, copied from MITRE's bundle into data/attack/techniques.json (embedded).</summary>
public sealed class AttackCatalog
{
    private readonly Dictionary<string, (string Name, List<string> Tactics)> _byId = new(StringComparer.OrdinalIgnoreCase);

    public static AttackCatalog Default { get; } = Load();

    private static AttackCatalog Load()
    {
        var c = new AttackCatalog();
        using var s = typeof(AttackCatalog).Assembly.GetManifestResourceStream("attack/techniques.json")
            ?? throw new InvalidOperationException("the ATT&CK catalog is not embedded");
        using var doc = JsonDocument.Parse(s);
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            var tactics = p.Value.GetProperty("tactics").EnumerateArray().Select(t => t.GetString()!).ToList();
            c._byId[p.Name] = (p.Value.GetProperty("name").GetString()!, tactics);
        }
        return c;
    }

    public int Count => _byId.Count;

    public bool TryGet(string id, out string name, out IReadOnlyList<string> tactics)
    {
        if (_byId.TryGetValue(id, out var v)) { name = v.Name; tactics = v.Tactics; return true; }
        name = "";
        tactics = [];
        return false;
    }

    /// <summary>The parent technique's name first for sub-techniques ("Process Injection: Ptrace System Calls"), as ATT&amp;CK writes them.</summary>
    public string FullName(string id)
    {
        if (!TryGet(id, out var name, out _)) return "(unknown technique)";
        var dot = id.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 && TryGet(id[..dot], out var parent, out _) ? $"{parent}: {name}" : name;
    }

    public static string Url(string id) => "https://attack.mitre.org/techniques/" + id.Replace('.', '/');
}
