using Alkanet.Analysis.Evidence;
using Alkanet.Farm.Storage;
using Microsoft.AspNetCore.Http;

namespace Alkanet.Farm.Service;

/// <summary>
/// The YARA rules of a submission: one file part <c>yara</c>, compiled here with <see cref="YaraRules.Load"/> (the
/// same check <c>alkanet run --yara</c> makes before its guest boots) so bad rules are refused with yara's message
/// before anything is stored or queued, instead of failing every attempt on a worker. The bytes are then stored by
/// SHA-256 with the task and handed to the run as <c>--yara FILE</c>.
/// </summary>
public sealed record SubmittedYaraRules(byte[] Bytes, string Name, string Sha256)
{
    public const string Field = "yara";

    /// <summary>Rules larger than this are refused (a ruleset of thousands of rules is still far below it).</summary>
    public const int MaxBytes = 4 << 20;

    /// <summary>The rules of the part, compiled; null when the submission has none.</summary>
    /// <exception cref="SubmissionException">More than one part, empty, too large, or yara refuses them (its message, with
    /// the uploaded name instead of the temporary path).</exception>
    public static async Task<SubmittedYaraRules?> ReadAsync(IReadOnlyList<IFormFile> parts, CancellationToken cancel)
    {
        if (parts.Count == 0) return null;
        if (parts.Count > 1) throw new SubmissionException(400, $"option '{Field}': one rules file per submission ({parts.Count} were sent)");
        var part = parts[0];
        if (part.Length == 0) throw new SubmissionException(400, $"option '{Field}': the rules file is empty (0 bytes)");
        if (part.Length > MaxBytes)
            throw new SubmissionException(413, $"option '{Field}': the rules are {part.Length} bytes; the limit is {MaxBytes}");
        var bytes = await SubmissionParser.ReadAsync(part, cancel).ConfigureAwait(false);
        var name = SafeName(SubmissionParser.UploadName(part, "rules.yar"));
        var dir = Directory.CreateTempSubdirectory("alkanet-submitted-yara-").FullName;
        try
        {
            var path = Path.Combine(dir, name);
            await File.WriteAllBytesAsync(path, bytes, cancel).ConfigureAwait(false);
            YaraRules.Load(path);
        }
        catch (YaraRulesException ex)
        {
            var message = ex.Message.Replace("--yara: ", "", StringComparison.Ordinal)
                .Replace(Path.Combine(dir, name), name, StringComparison.Ordinal);
            throw new SubmissionException(400, $"option '{Field}': the rules do not compile: {message}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
        return new SubmittedYaraRules(bytes, name, Convert.ToHexStringLower(TaskStore.Sha256(bytes)));
    }

    /// <summary>The uploaded name reduced to a safe file name ending in .yar or .yara (what <c>--yara</c> reads).</summary>
    public static string SafeName(string name)
    {
        var chars = name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_').ToArray();
        var safe = new string(chars).TrimStart('.');
        if (safe.Length > 100) safe = safe[..100];
        if (!safe.EndsWith(".yar", StringComparison.OrdinalIgnoreCase) && !safe.EndsWith(".yara", StringComparison.OrdinalIgnoreCase)) safe += ".yar";
        return safe;
    }
}
