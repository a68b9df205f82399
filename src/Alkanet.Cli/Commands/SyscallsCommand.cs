using System.CommandLine;
using Alkanet.Introspection.Syscalls;

namespace Alkanet.Cli.Commands;

/// <summary><c>alkanet syscalls --os windows --build 18363</c>: print a system-call table (number → name). Tables come from
/// the registered <see cref="ISyscallTableSource"/> of the OS, so other OSes plug in by registering theirs.</summary>
internal static class SyscallsCommand
{
    public static Command Create()
    {
        var os = new Option<string>("--os") { Description = "Operating system of the table (windows, or any registered source).",
            DefaultValueFactory = _ => "windows" };
        var build = new Option<int?>("--build") { Description = "Build number (Windows: 18363 for 10 1909). Without it, list the tables available." };
        var kind = new Option<string?>("--kind") { Description = "Which table of the build (Windows: nt or win32k; default nt)." };
        var json = new Option<bool>("--json") { Description = "Print JSON for scripts." };
        var cmd = new Command("syscalls",
            "Print the system-call number → name table of an OS build, saying when no exact table exists and a neighbour is used.")
        {
            os, build, kind, json,
        };
        cmd.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var osName = parse.GetValue(os)!;
            var source = SyscallTableSources.ForOs(osName)
                ?? throw new UsageException($"--os {osName}: no system-call tables for this OS (known: " +
                    $"{string.Join(", ", SyscallTableSources.All.Select(s => s.Os))})");
            var asJson = parse.GetValue(json);
            if (parse.GetValue(build) is not { } b)
            {
                if (asJson)
                {
                    output.WriteLine(ProfileCommands.JsonText(w =>
                    {
                        w.WriteStartArray();
                        foreach (var t in source.Tables)
                        {
                            w.WriteStartObject();
                            w.WriteString("os", t.Os); w.WriteString("release", t.Release); w.WriteNumber("build", t.Build);
                            w.WriteString("kind", t.Kind); w.WriteNumber("calls", t.Count);
                            w.WriteEndObject();
                        }
                        w.WriteEndArray();
                    }));
                }
                else foreach (var t in source.Tables) output.WriteLine($"{t.Build,6}  {t.Kind,-7} {t.Count,5} calls  {t.Release}");
                return ExitCodes.Ok;
            }
            var choice = source.Choose(b, parse.GetValue(kind))
                ?? throw new CommandFailedException($"no {osName} system-call table of kind '{parse.GetValue(kind)}'");
            var table = choice.Table;
            if (asJson)
            {
                output.WriteLine(ProfileCommands.JsonText(w =>
                {
                    w.WriteStartObject();
                    w.WriteString("os", table.Os);
                    w.WriteNumber("requested_build", b);
                    w.WriteString("release", table.Release);
                    w.WriteNumber("build", table.Build);
                    w.WriteString("kind", table.Kind);
                    w.WriteBoolean("exact", choice.Exact);
                    if (choice.Note is not null) w.WriteString("note", choice.Note);
                    w.WriteStartObject("calls");
                    foreach (var (n, name) in table.Calls()) w.WriteString(n.ToString("x", System.Globalization.CultureInfo.InvariantCulture), name);
                    w.WriteEndObject();
                    w.WriteEndObject();
                }));
                return ExitCodes.Ok;
            }
            output.WriteLine($"# {table.Os} {table.Release}, build {table.Build}, {table.Kind}: {table.Count} " +
                $"calls{(choice.Exact ? "" : " (GUESSED)")}");
            if (choice.Note is not null)
            {
                output.WriteLine($"# {choice.Note}");
                parse.InvocationConfiguration.Error.WriteLine($"alkanet: warning: {choice.Note}");
            }
            foreach (var (n, name) in table.Calls()) output.WriteLine($"0x{n:x4}  {name}");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
