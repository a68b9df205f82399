using System.Text.Json;

namespace Alkanet.Analysis.Pipeline;

/// <summary><c>LOG.meta.json</c> = <c>{"sample": NAME}</c>, written beside a log by whoever started the run, so the
/// report needs no sample option.</summary>
public static class MetaSidecar
{
    public static string PathOf(string log) => log + ".meta.json";

    /// <summary>Writes the sidecar of <paramref name="log"/> (beside and renamed: never half-written); returns its path.</summary>
    public static string Write(string log, string sample)
    {
        var path = PathOf(log);
        var tmp = path + ".tmp";
        using (var fs = File.Create(tmp))
        using (var w = new Utf8JsonWriter(fs, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("sample", sample);
            w.WriteEndObject();
        }
        File.Move(tmp, path, overwrite: true);
        return path;
    }

    /// <summary>The sample the sidecar of <paramref name="log"/> names; null when there is no sidecar or it names none.</summary>
    /// <exception cref="SidecarFormatException">The sidecar is not JSON.</exception>
    public static string? ReadSample(string log)
    {
        var path = PathOf(log);
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("sample", out var s)
                && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
        }
        catch (JsonException ex)
        {
            throw new SidecarFormatException($"{path}: not JSON: {ex.Message}", ex);
        }
    }
}

/// <summary>A <c>LOG.meta.json</c> that cannot be read; the message names the file.</summary>
public sealed class SidecarFormatException(string message, Exception inner) : Exception(message, inner);
