using System.Globalization;
using Alkanet.Farm.Queue;
using Alkanet.Farm.Storage;
using Microsoft.AspNetCore.Http;

namespace Alkanet.Farm.Service;

/// <summary>A submission that passed every check; <see cref="YaraRules"/> compiled (their SHA-256 is in the options).</summary>
public sealed record Submission(byte[] Sample, string SampleName, TaskOptions Options, bool Reuse, byte[]? YaraRules);

/// <summary>A submission refused: the HTTP status and the reason given to the user.</summary>
public sealed class SubmissionException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>Checks a multipart submission completely before anything is stored or queued: the file part
/// <c>sample</c>, an optional file part <c>yara</c> (rules, compiled here by <see cref="SubmittedYaraRules"/>), and
/// the options <c>kind</c>, <c>timeout</c>, <c>network</c>, <c>capture</c>, <c>priority</c>, <c>tags</c>,
/// <c>reuse</c>. Anything else is refused by name.</summary>
public static class SubmissionParser
{
    private static readonly HashSet<string> Known =
        new(StringComparer.Ordinal) { "kind", "timeout", "network", "capture", "priority", "tags", "reuse" };

    private static readonly HashSet<string> KnownFiles = new(StringComparer.Ordinal) { "sample", SubmittedYaraRules.Field };

    public static async Task<Submission> ParseAsync(HttpRequest request, FarmServiceOptions options, CancellationToken cancel)
    {
        if (!request.HasFormContentType || !(request.ContentType ?? "").StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            throw new SubmissionException(415, "a submission is multipart/form-data with the file in the field 'sample'");
        if (request.ContentLength is { } length && length > options.MaxSampleBytes + (1 << 20))
            throw new SubmissionException(413, $"the request is {length} bytes; samples are limited to {options.MaxSampleBytes} bytes");
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(cancel).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidDataException or BadHttpRequestException or IOException)
        {
            var tooLarge = ex is BadHttpRequestException { StatusCode: 413 } || ex.Message.Contains("limit", StringComparison.OrdinalIgnoreCase);
            throw new SubmissionException(tooLarge ? 413 : 400, tooLarge
                ? $"the sample is larger than the limit of {options.MaxSampleBytes} bytes"
                : $"the multipart body could not be read: {ex.Message}");
        }
        foreach (var key in form.Keys)
        {
            if (key == SubmittedYaraRules.Field)
                throw new SubmissionException(400, $"option '{key}': the rules go in a file part (curl -F {key}=@rules.yar), not a text field");
            if (!Known.Contains(key)) throw new SubmissionException(400, $"unknown option '{key}' (known: {string.Join(", ", Known.Order())})");
        }
        var files = form.Files;
        foreach (var f in files)
            if (!KnownFiles.Contains(f.Name))
                throw new SubmissionException(400, $"a file is in the field '{f.Name}'; the sample belongs in 'sample', YARA rules in 'yara'");
        var samples = files.GetFiles("sample");
        if (samples.Count == 0) throw new SubmissionException(400, "no file in the field 'sample'");
        if (samples.Count > 1) throw new SubmissionException(400, $"one sample per submission ({samples.Count} files were sent)");
        var file = samples[0];
        if (file.Length == 0) throw new SubmissionException(400, "the sample is empty (0 bytes)");
        if (file.Length > options.MaxSampleBytes)
            throw new SubmissionException(413, $"the sample is {file.Length} bytes; the limit is {options.MaxSampleBytes} bytes");
        var kind = One(form, "kind") ?? options.Kinds[0];
        if (!options.Kinds.Contains(kind, StringComparer.Ordinal))
            throw new SubmissionException(400, $"unknown guest kind '{kind}' (this farm runs: {string.Join(", ", options.Kinds)})");
        var timeout = One(form, "timeout") is { } t ? Seconds(t, options.MaxTimeoutSeconds) : options.DefaultTimeoutSeconds;
        var network = Flag(form, "network");
        var capture = One(form, "capture") ?? TaskOptions.DefaultCapture;
        if (!TaskOptions.Captures.Contains(capture))
            throw new SubmissionException(400, $"option 'capture': '{capture}' is not {string.Join(", ", TaskOptions.Captures)}");
        var priority = Priority(One(form, "priority"));
        var tags = Tags(One(form, "tags"));
        // the rules last: compiling them runs yara, so every cheaper check has passed first
        var yara = await SubmittedYaraRules.ReadAsync(files.GetFiles(SubmittedYaraRules.Field), cancel).ConfigureAwait(false);
        var sample = await ReadAsync(file, cancel).ConfigureAwait(false);
        var taskOptions = new TaskOptions(kind, timeout, network, priority, tags, capture, yara?.Sha256, yara?.Name);
        return new Submission(sample, UploadName(file, "sample"), taskOptions, Flag(form, "reuse"), yara?.Bytes);
    }

    internal static async Task<byte[]> ReadAsync(IFormFile file, CancellationToken cancel)
    {
        var bytes = new byte[file.Length];
        await using (var s = file.OpenReadStream()) await s.ReadExactlyAsync(bytes, cancel).ConfigureAwait(false);
        return bytes;
    }

    /// <summary>The file name the client gave (without folders, at most 200 characters), or <paramref name="fallback"/>.</summary>
    internal static string UploadName(IFormFile file, string fallback)
    {
        var name = string.IsNullOrWhiteSpace(file.FileName) ? fallback : Path.GetFileName(file.FileName.Replace('\\', '/'));
        return name.Length > 200 ? name[..200] : name;
    }

    private static string? One(IFormCollection form, string key)
    {
        if (!form.TryGetValue(key, out var values)) return null;
        if (values.Count != 1) throw new SubmissionException(400, $"option '{key}' is given {values.Count} times");
        return values[0]?.Trim();
    }

    private static bool Flag(IFormCollection form, string key) => One(form, key) switch
    {
        null => false,
        "true" or "1" or "yes" or "on" => true,
        "false" or "0" or "no" or "off" => false,
        var v => throw new SubmissionException(400, $"option '{key}': '{v}' is not true or false"),
    };

    /// <summary>"90", "90s", "2m": whole seconds from 1 to the farm's maximum.</summary>
    public static int Seconds(string text, int max)
    {
        var scale = 1;
        var number = text;
        if (text.EndsWith('s')) number = text[..^1];
        else if (text.EndsWith('m'))
        {
            number = text[..^1];
            scale = 60;
        }
        if (!int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0 || (long)n * scale > max)
            throw new SubmissionException(400, $"option 'timeout': '{text}' is not a duration from 1 s to {max} s (e.g. 90, 90s, 2m)");
        return n * scale;
    }

    public static int Priority(string? text) => text switch
    {
        null or "normal" or "1" => 1,
        "low" or "0" => 0,
        "high" or "2" => 2,
        _ => throw new SubmissionException(400, $"option 'priority': '{text}' is not low, normal or high (0..{TaskQueues.MaxPriority})"),
    };

    private static string[] Tags(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return [];
        var tags = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToArray();
        if (tags.Length > 20) throw new SubmissionException(400, $"option 'tags': {tags.Length} tags; at most 20");
        foreach (var tag in tags)
            if (tag.Length > 40 || !tag.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or ':'))
                throw new SubmissionException(400, $"option 'tags': '{tag}' is not 1-40 of A-Z a-z 0-9 . _ - :");
        return tags;
    }
}
