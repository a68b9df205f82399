using System.CommandLine;

namespace Alkanet.Cli.Commands;

/// <summary><c>alkanet log cat|stats|validate</c>: read, summarise and check Alkanet logs.</summary>
internal static class LogCommands
{
    public static Command Create()
    {
        var log = new Command("log", "Read, summarise and check Alkanet logs (JSON Lines or pretty-printed objects; .gz read transparently).");
        log.Add(LogCatCommand.Create());
        log.Add(LogStatsCommand.Create());
        log.Add(LogValidateCommand.Create());
        return log;
    }
}
