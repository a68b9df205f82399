using System.CommandLine;

namespace Alkanet.Cli.Commands;

/// <summary>Arguments and options every log-reading command spells the same way.</summary>
internal static class LogArguments
{
    public static Argument<string[]> Files() => new("FILE")
    {
        Description = "Alkanet log files: JSON Lines or pretty-printed records, .gz detected from content; '-' reads standard input.",
        Arity = ArgumentArity.OneOrMore,
    };

    public static Option<bool> SkipBad() => new("--skip-bad")
    {
        Description = "Count and skip malformed records instead of stopping at the first (which is reported with file, line and byte offset).",
    };

    public static Option<bool> Json() => new("--json") { Description = "Print the result as JSON for scripts." };
}
