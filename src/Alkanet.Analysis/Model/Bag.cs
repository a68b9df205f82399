namespace Alkanet.Analysis.Model;

/// <summary>One process's (or injected thread's) behaviour items, by kind then object. Lookups take the object as a
/// span, so a repeated item costs no allocation.</summary>
internal sealed class Bag
{
    private readonly Dictionary<string, Dictionary<string, BehaviourItem>> _byKind = new(StringComparer.Ordinal);

    public int Count { get; private set; }

    public IEnumerable<BehaviourItem> Values => _byKind.Values.SelectMany(d => d.Values);

    public BehaviourItem? Find(string kind, ReadOnlySpan<char> obj) =>
        _byKind.TryGetValue(kind, out var d) && d.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(obj, out var item) ? item : null;

    public void Add(BehaviourItem item)
    {
        if (!_byKind.TryGetValue(item.Kind, out var d)) _byKind[item.Kind] = d = new Dictionary<string, BehaviourItem>(StringComparer.Ordinal);
        d[item.Object] = item;
        Count++;
    }
}
