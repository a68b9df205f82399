using System.Globalization;
using System.Text.Json;
using Alkanet.Core.Json;

namespace Alkanet.Analysis.Importers;

/// <summary>A field of an imported report that is present but of the wrong type (a pid that is "abc", calls that are a
/// string), or absent where a record cannot do without it: the record holding it is bad. The message names the JSON
/// path and the value.</summary>
internal sealed class BadFieldException(string message) : Exception(message)
{
    public static BadFieldException WrongType(string jsonPath, string expected, JsonElement value)
    {
        var raw = value.GetRawText();
        return new($"{jsonPath}: expected {expected}, got {(raw.Length > 80 ? raw[..77] + "..." : raw)}");
    }

    public static BadFieldException Missing(string jsonPath, string what) => new($"{jsonPath}: missing ({what})");
}

/// <summary>Typed reads of imported JSON fields. Absent fields are null (the formats leave many out); a present field
/// of the wrong type throws <see cref="BadFieldException"/>; <see cref="Reject"/> turns that into an error naming the
/// file, line and JSON path, or with <c>--skip-bad</c> a counted warning.</summary>
internal static class ImportedFields
{
    /// <summary>An integer: a JSON number, or a string of decimal digits or 0x-hex (both formats write ids as text too).</summary>
    public static long? Integer(JsonElement o, string name, string at)
    {
        if (o.ValueKind != JsonValueKind.Object || !o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n)) return n;
        if (v.ValueKind == JsonValueKind.String)
        {
            var s = v.GetString()!.Trim();
            if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                && ulong.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var h)) return unchecked((long)h);
            if (long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out n)) return n;
        }
        throw BadFieldException.WrongType($"{at}.{name}", "an integer", v);
    }

    /// <summary>A pid or other unsigned id: an integer that is not negative.</summary>
    public static ulong? Id(JsonElement o, string name, string at)
    {
        var n = Integer(o, name, at);
        if (n is < 0) throw BadFieldException.WrongType($"{at}.{name}", "a non-negative id", o.GetProperty(name));
        return n is { } v ? (ulong)v : null;
    }

    /// <summary>A text field: a JSON string (numbers and booleans are taken as their text, as the formats mix them).</summary>
    public static string? Text(JsonElement o, string name, string at)
    {
        if (o.ValueKind != JsonValueKind.Object || !o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.GetRawText(),
            _ => throw BadFieldException.WrongType($"{at}.{name}", "a string", v),
        };
    }

    /// <summary>An array field, or null when absent.</summary>
    public static JsonElement? Array(JsonElement o, string name, string at)
    {
        if (o.ValueKind != JsonValueKind.Object || !o.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.Array ? v : throw BadFieldException.WrongType($"{at}.{name}", "an array", v);
    }

    public static T Required<T>(T? value, string jsonPath, string what) where T : struct =>
        value ?? throw BadFieldException.Missing(jsonPath, what);

    public static string Required(string? value, string jsonPath, string what) =>
        value ?? throw BadFieldException.Missing(jsonPath, what);

    /// <summary>A bad field: an error naming file, line, path and value; with <paramref name="skipBad"/> a counted warning.</summary>
    public static void Reject(string path, long line, long offset, string reason, bool skipBad, LogInput.Result result)
    {
        var error = new LogFormatError(path, line, offset, reason);
        if (!skipBad) throw new LogFormatException(error);
        result.Skipped++;
        if (result.SkippedErrors.Count < 20) result.SkippedErrors.Add(error.ToString());
    }
}
