using System.Collections;

namespace Alkanet.Core.Records;

/// <summary>The decoded arguments of a call, by name, in the order the decoder produced them.
/// An ordered list, not a dictionary: records hold a handful of entries, order is part of how the
/// original log reads, and a list is cheaper to fill and reuse on the hot path.</summary>
public sealed class AdditionalInfo : IReadOnlyList<KeyValuePair<string, InfoValue>>
{
    private readonly List<KeyValuePair<string, InfoValue>> _items = new(4);

    public int Count => _items.Count;

    public KeyValuePair<string, InfoValue> this[int index] => _items[index];

    /// <summary>The value of <paramref name="name"/> as the log writes it, or null when the record has none.</summary>
    public string? this[string name] => TryGet(name, out var v) ? v.ToString() : null;

    public bool TryGet(string name, out InfoValue value)
    {
        foreach (var kv in _items)
        {
            if (string.Equals(kv.Key, name, StringComparison.Ordinal))
            {
                value = kv.Value;
                return true;
            }
        }
        value = default;
        return false;
    }

    /// <summary>Sets a string value, replacing an earlier one of the same name (an EXIT may refine an ENTER value).</summary>
    public AdditionalInfo Set(string name, string value) => Set(name, InfoValue.String(value));

    public AdditionalInfo SetJson(string name, string json) => Set(name, InfoValue.Json(json));

    public AdditionalInfo Set(string name, InfoValue value)
    {
        for (var i = 0; i < _items.Count; i++)
        {
            if (string.Equals(_items[i].Key, name, StringComparison.Ordinal))
            {
                _items[i] = new(name, value);
                return this;
            }
        }
        _items.Add(new(name, value));
        return this;
    }

    /// <summary>Appends without looking for an existing name: the reader's path, where names come from the file.</summary>
    internal void Append(string name, InfoValue value) => _items.Add(new(name, value));

    public bool Remove(string name)
    {
        var i = _items.FindIndex(kv => string.Equals(kv.Key, name, StringComparison.Ordinal));
        if (i < 0) return false;
        _items.RemoveAt(i);
        return true;
    }

    public void Clear() => _items.Clear();

    public void CopyFrom(AdditionalInfo other)
    {
        _items.Clear();
        _items.AddRange(other._items);
    }

    public List<KeyValuePair<string, InfoValue>>.Enumerator GetEnumerator() => _items.GetEnumerator();

    IEnumerator<KeyValuePair<string, InfoValue>> IEnumerable<KeyValuePair<string, InfoValue>>.GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();
}
