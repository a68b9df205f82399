using System.Text;
using System.Text.Json;
using Alkanet.Analysis.Output;
using Alkanet.Analysis.Pipeline;

namespace Alkanet.Farm.Service;

/// <summary>
/// A finished task's report in any format <see cref="ReportFormats"/> writes, with no list of formats here: the file
/// the run wrote as <c>report.FORMAT</c> when it wrote that one (md, json, html: the exact bytes handed in), otherwise
/// rendered from its <c>report.json</c> by <see cref="ReportFormats.Write"/>. A format added to
/// <see cref="ReportFormat"/> is served (and listed by <c>GET /api/farm</c>) without a change to the farm.
/// </summary>
public static class TaskReports
{
    /// <summary>The format names, as <c>alkanet report --format</c> spells them (the enum's names in lower case).</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Enum.GetValues<ReportFormat>().Select(f => f.ToString().ToLowerInvariant())];

    public static bool TryParse(string name, out ReportFormat format) =>
        Enum.TryParse(name, ignoreCase: true, out format) && Enum.IsDefined(format) && Names.Contains(name.ToLowerInvariant());

    /// <summary>The report in <paramref name="format"/>: the stored file of that name (<paramref name="storedFile"/>
    /// reads one of the result's files by name), or one rendered from the stored report.json; null when neither exists.</summary>
    /// <exception cref="InvalidDataException">report.json does not read as a report (the message says where).</exception>
    public static byte[]? Render(ReportFormat format, Func<string, byte[]?> storedFile)
    {
        var name = format.ToString().ToLowerInvariant();
        if (storedFile("report." + name) is { } stored) return stored;
        if (storedFile("report.json") is not { } json) return null;
        Report report;
        try
        {
            report = ReportWriters.FromJson(Encoding.UTF8.GetString(json));
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"report.json does not read as a report ({ex.Path}: {ex.Message}), so it cannot be rendered as {name}");
        }
        return Encoding.UTF8.GetBytes(ReportFormats.Write(report, format));
    }

    /// <summary>The media type of a report's bytes: HTML and Markdown by name, JSON (and anything else) by its first
    /// character, so a new structured format needs no entry here.</summary>
    public static string ContentType(ReportFormat format, ReadOnlySpan<byte> bytes)
    {
        var name = format.ToString().ToLowerInvariant();
        if (name == "html") return "text/html; charset=utf-8";
        if (name == "md") return "text/markdown; charset=utf-8";
        var i = 0;
        while (i < bytes.Length && bytes[i] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t') i++;
        return i < bytes.Length && bytes[i] is (byte)'{' or (byte)'[' ? "application/json"
            : i < bytes.Length && bytes[i] == (byte)'<' ? "application/xml"
            : "text/plain; charset=utf-8";
    }
}
