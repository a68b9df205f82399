using System.Text.Json;

namespace Alkanet.Farm;

/// <summary>The one JSON shape of the farm's API, messages and stored options: camelCase names.</summary>
public static class FarmJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);
}
