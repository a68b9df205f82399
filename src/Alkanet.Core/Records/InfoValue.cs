using Alkanet.Core.Json;

namespace Alkanet.Core.Records;

/// <summary>What an <see cref="InfoValue"/> holds.</summary>
public enum InfoValueKind : byte
{
    /// <summary>A string.</summary>
    String = 0,

    /// <summary>A JSON fragment (array, object, number, bool or null) written as is.</summary>
    Json = 1,

    /// <summary>A read of guest memory that failed at <see cref="InfoValue.Address"/>; <see cref="InfoValue.Text"/>
    /// holds what was read before the failure (usually empty).</summary>
    Unreadable = 2,

    /// <summary>A JSON fragment with an element that could not be read (the first at <see cref="InfoValue.Address"/>):
    /// an argv with an unmapped string.</summary>
    PartlyUnreadableJson = 3,
}

/// <summary>One value of <c>additional_info</c>. The original log holds strings only; decoders that need
/// structure (an argv list, a sockaddr) store a JSON fragment, which is written through verbatim. A failed guest
/// read is a value of its own (kind <see cref="InfoValueKind.Unreadable"/>, with its address), so nothing has to
/// search text for it; only <see cref="RecordJsonWriter"/> turns it into the log's text.</summary>
/// <param name="Text">The string or JSON fragment; for an unreadable value, the part read before the failure.</param>
/// <param name="Kind">What the value holds.</param>
/// <param name="Address">Where reading failed (kinds <see cref="InfoValueKind.Unreadable"/> and
/// <see cref="InfoValueKind.PartlyUnreadableJson"/>); 0 otherwise.</param>
public readonly record struct InfoValue(string Text, InfoValueKind Kind, ulong Address)
{
    public InfoValue(string text, bool isJson) : this(text, isJson ? InfoValueKind.Json : InfoValueKind.String, 0) { }

    /// <summary>True for a JSON fragment (written raw).</summary>
    public bool IsJson => Kind is InfoValueKind.Json or InfoValueKind.PartlyUnreadableJson;

    /// <summary>True when the value is a failed read.</summary>
    public bool IsUnreadable => Kind == InfoValueKind.Unreadable;

    /// <summary>True when any part of the value could not be read.</summary>
    public bool HasUnreadable => Kind is InfoValueKind.Unreadable or InfoValueKind.PartlyUnreadableJson;

    public static InfoValue String(string text) => new(text, InfoValueKind.String, 0);

    /// <summary>A JSON fragment (array, object, number, bool or null) written as is.</summary>
    public static InfoValue Json(string json) => new(json, InfoValueKind.Json, 0);

    /// <summary>A guest read that failed at <paramref name="address"/>, after reading <paramref name="partial"/>.</summary>
    public static InfoValue Unreadable(ulong address, string partial = "") => new(partial, InfoValueKind.Unreadable, address);

    /// <summary>The value as the log writes it (see <see cref="RecordJsonWriter.ValueText"/>).</summary>
    public override string ToString() => RecordJsonWriter.ValueText(this);
}
