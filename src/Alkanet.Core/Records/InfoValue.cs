namespace Alkanet.Core.Records;

/// <summary>One value of <c>additional_info</c>. The original log holds strings only; decoders that need
/// structure (an argv list, a sockaddr) store a JSON fragment, which is written through verbatim.</summary>
public readonly record struct InfoValue(string Text, bool IsJson)
{
    public static InfoValue String(string text) => new(text, false);

    /// <summary>A JSON fragment (array, object, number, bool or null) written as is.</summary>
    public static InfoValue Json(string json) => new(json, true);

    public override string ToString() => Text;
}
