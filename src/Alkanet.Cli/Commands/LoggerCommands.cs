using System.CommandLine;

namespace Alkanet.Cli.Commands;

/// <summary><c>alkanet logger</c>: the logging machine (run it), <c>export</c> a stored run, <c>send</c> a log to a logger.</summary>
internal static class LoggerCommands
{
    public static Command Create()
    {
        var logger = LoggerServeCommand.Create();
        logger.Add(LoggerExportCommand.Create());
        logger.Add(LoggerSendCommand.Create());
        logger.Add(LoggerControlCommand.Create());
        return logger;
    }
}
