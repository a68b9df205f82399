using Alkanet.Analysis.Model;

namespace Alkanet.Analysis.Output;

/// <summary>What a clean run of the same guest did (any process): behaviour found here too is not the sample's.</summary>
public sealed class BaselineSet
{
    private readonly HashSet<(string Kind, string Object)> _items = [];

    public List<string> Files { get; } = [];

    public int Count => _items.Count;

    public void AddFrom(Analyzer clean)
    {
        foreach (var item in clean.AllItems()) _items.Add(Key(item.Kind, item.Object));
    }

    public bool Contains(string kind, string obj) => _items.Contains(Key(kind, obj));

    private static (string, string) Key(string kind, string obj) => (kind, PathNormalizer.Normalize(obj));
}
