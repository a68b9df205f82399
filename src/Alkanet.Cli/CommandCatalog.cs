using System.CommandLine;
using Alkanet.Cli.Commands;

namespace Alkanet.Cli;

/// <summary>Every top-level command of <c>alkanet</c>. Each part of the product adds its commands in a file
/// of its own under Commands/ and one line here.</summary>
internal static class CommandCatalog
{
    public static IEnumerable<Command> All()
    {
        yield return LogCommands.Create();
        yield return TraceCommand.Create();
        yield return ReportCommand.Create();
        yield return CompareCommand.Create();
        yield return ProfileCommands.Create();
        yield return SyscallsCommand.Create();
        yield return LoggerCommands.Create();
        yield return ServeCommand.Create();
        yield return WorkerCommand.Create();
        foreach (var c in new[] { RunCommands.Create(), RunCommands.CreateGuest() }) yield return c;
        yield return ImageCommands.Create();
    }
}
