using System.CommandLine;
using Alkanet.Core.Json;

namespace Alkanet.Cli;

/// <summary>Builds the root command and maps outcomes to the documented exit codes.</summary>
public static class AlkanetCli
{
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand(
            "Alkanet: agentless system-call tracing of virtual machines from the hypervisor, " +
            "log streaming to a logging machine, and reports of what a sample did.\n" +
            "Exit codes: 0 success, 1 failure (bad input, problems found, incomplete run), 2 usage error.");
        foreach (var command in CommandCatalog.All()) root.Add(command);
        return root;
    }

    public static int Run(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        var root = BuildRoot();
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) error.WriteLine($"alkanet: {e.Message}");
            error.WriteLine("Run 'alkanet --help' (or 'alkanet COMMAND --help') for usage.");
            return ExitCodes.Usage;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (UsageException ex)
        {
            error.WriteLine($"alkanet: {ex.Message}");
            return ExitCodes.Usage;
        }
        catch (Exception ex) when (ex is LogFormatException or CommandFailedException or IOException or UnauthorizedAccessException)
        {
            // Problems the user can act on: one line, no stack trace.
            error.WriteLine($"alkanet: {ex.Message}");
            return ExitCodes.Failure;
        }
        catch (Exception ex)
        {
            // A bug of ours: say so with the details a report needs, and still honour the exit-code contract.
            error.WriteLine($"alkanet: internal error (please report): {ex}");
            return ExitCodes.Failure;
        }
    }
}

/// <summary>A bad value the parser could not catch (e.g. a pid that is not hex): exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message)
{
    public UsageException() : this("usage error") { }

    public UsageException(string message, Exception inner) : this(message) => _ = inner;
}

/// <summary>A command failed for a reason the user can act on: exit code 1, message printed without a stack trace.</summary>
public sealed class CommandFailedException(string message) : Exception(message)
{
    public CommandFailedException() : this("command failed") { }

    public CommandFailedException(string message, Exception inner) : this(message) => _ = inner;
}
