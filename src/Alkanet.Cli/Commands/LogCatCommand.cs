using System.CommandLine;
using Alkanet.Core.Json;
using Alkanet.Core.Records;

namespace Alkanet.Cli.Commands;

internal static class LogCatCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("FILE") { Description = "Log files ('-' for standard input).", Arity = ArgumentArity.OneOrMore };
        var json = new Option<bool>("--json") { Description = "Print records as JSON Lines instead of one readable line each." };
        var cmd = new Command("cat", "Print records, optionally filtered.") { files, json };
        cmd.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            using var writer = new JsonLinesWriter(Console.OpenStandardOutput(), leaveOpen: true);
            var r = new SyscallRecord();
            foreach (var file in parse.GetValue(files)!)
            {
                using var reader = JsonLinesReader.Open(file);
                while (reader.TryRead(r))
                {
                    if (parse.GetValue(json)) writer.Write(r);
                    else output.WriteLine(r.ToString());
                }
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
