using System.CommandLine;
using System.Globalization;
using Alkanet.Core.Records;

namespace Alkanet.Cli.Commands;

/// <summary>The record filters shared by <c>log cat</c> (and future commands that select records).</summary>
internal sealed class LogFilterOptions
{
    public Option<string[]> Pid { get; } = new("--pid") {
        Description = "Only these process ids (hex, as in the log; repeat the option or separate with commas)." };
    public Option<string[]> Tid { get; } = new("--tid") { Description = "Only these thread ids (hex; repeat or separate with commas)." };
    public Option<string[]> Process { get; } = new("--process", "-p") { Description =
        "Only these process names (proc_name, case-insensitive; repeat or separate with commas)." };
    public Option<string[]> Call { get; } = new("--call", "-c") { Description =
        "Only these call names (NtCreateFile, openat; case-insensitive; repeat or separate with commas)." };
    public Option<string?> LogType { get; } = new("--logtype") { Description = "Only ENTER or only EXIT records." };

    public void AddTo(Command command)
    {
        command.Add(Pid);
        command.Add(Tid);
        command.Add(Process);
        command.Add(Call);
        command.Add(LogType);
        LogType.AcceptOnlyFromAmong("ENTER", "EXIT", "LOSS", "enter", "exit", "loss");
    }

    public Func<SyscallRecord, bool> Build(ParseResult parse)
    {
        var pids = ParseHex(parse.GetValue(Pid), "--pid");
        var tids = ParseHex(parse.GetValue(Tid), "--tid");
        var names = ToSet(parse.GetValue(Process));
        var calls = ToSet(parse.GetValue(Call));
        var typeText = parse.GetValue(LogType);
        LogType? type = typeText is null ? null
            : LogTypeNames.TryParse(typeText.ToUpperInvariant(), out var t) ? t
            : throw new UsageException($"--logtype: '{typeText}' is not ENTER, EXIT or LOSS");
        return r =>
            (pids is null || pids.Contains(r.Pid))
            && (tids is null || tids.Contains(r.Tid))
            && (names is null || names.Contains(r.ProcName))
            && (calls is null || calls.Contains(r.Name))
            && (type is null || r.LogType == type);
    }

    private static HashSet<string>? ToSet(string[]? values) =>
        values is { Length: > 0 } ? new HashSet<string>(Split(values), StringComparer.OrdinalIgnoreCase) : null;

    private static IEnumerable<string> Split(string[] values) =>
        values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static HashSet<ulong>? ParseHex(string[]? values, string option)
    {
        if (values is not { Length: > 0 }) return null;
        var set = new HashSet<ulong>();
        foreach (var v in Split(values))
        {
            var text = v.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? v[2..] : v;
            if (!ulong.TryParse(text, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var n))
                throw new UsageException($"{option}: '{v}' is not a hex id (the log writes ids in hex, e.g. 21f4)");
            set.Add(n);
        }
        return set;
    }
}
