using System.CommandLine;
using Alkanet.Core.Json;
using Alkanet.Core.Logs;
using Alkanet.Core.Records;

namespace Alkanet.Cli.Commands;

/// <summary><c>alkanet log cat</c>: print records, filtered, readable or as JSON Lines.</summary>
internal static class LogCatCommand
{
    public static Command Create()
    {
        var files = LogArguments.Files();
        var json = new Option<bool>("--json") { Description = "Print records as JSON Lines (the log format) instead of one readable line each." };
        var pretty = new Option<bool>("--pretty") { Description = "With --json: indent each record like the paper's figure." };
        var output = new Option<string?>("--output", "-o") {
            Description = "Write to this file instead of standard output (JSON Lines; .gz compresses)." };
        var limit = new Option<long?>("--limit", "-n") { Description = "Stop after this many matching records." };
        var skipBad = LogArguments.SkipBad();
        var filters = new LogFilterOptions();
        var cmd = new Command("cat", "Print records, optionally filtered by pid, thread, process name, call name or log type.")
        {
            files, json, pretty, output, limit, skipBad,
        };
        filters.AddTo(cmd);
        cmd.SetAction(parse => Run(parse, parse.GetValue(files)!, parse.GetValue(json), parse.GetValue(pretty),
            parse.GetValue(output), parse.GetValue(limit), parse.GetValue(skipBad), filters.Build(parse)));
        return cmd;
    }

    private static int Run(ParseResult parse, string[] files, bool json, bool pretty, string? outputPath, long? limit,
        bool skipBad, Func<SyscallRecord, bool> match)
    {
        var stdout = parse.InvocationConfiguration.Output;
        var stderr = parse.InvocationConfiguration.Error;
        if (limit is < 0) throw new UsageException("--limit must be zero or more");
        var toFile = outputPath is not null;
        var toRealStdout = !toFile && ReferenceEquals(stdout, Console.Out);
        var tmpPath = toFile ? outputPath + ".partial" : null;
        JsonLinesWriter? writer = toFile ? JsonLinesWriter.Create(tmpPath!, pretty)
            : json && toRealStdout ? new JsonLinesWriter(Console.OpenStandardOutput(), leaveOpen: true, pretty) : null;
        long printed = 0, skipped = 0;
        var r = new SyscallRecord();
        try
        {
            foreach (var file in files)
            {
                using var reader = JsonLinesReader.Open(file, new RecordReaderOptions { SkipBad = skipBad });
                while ((limit is null || printed < limit) && reader.TryRead(r))
                {
                    if (!match(r)) continue;
                    printed++;
                    if (writer is not null) writer.Write(r);
                    else if (json) stdout.WriteLine(RecordJson.Serialize(r, pretty));
                    else stdout.WriteLine(RecordText.Format(r));
                }
                skipped += reader.SkippedCount;
                foreach (var e in reader.SkippedErrors.Take(3)) stderr.WriteLine($"alkanet: skipped {e}");
            }
            writer?.Dispose();
            writer = null;
            if (toFile) File.Move(tmpPath!, outputPath!, overwrite: true);
        }
        catch (IOException) when (toRealStdout && !toFile)
        {
            return ExitCodes.Ok; // the reader of our output went away (e.g. `| head`): not a failure of ours
        }
        finally
        {
            try { writer?.Dispose(); } catch (IOException) { /* already failing */ }
            if (toFile && File.Exists(tmpPath!)) File.Delete(tmpPath!); // never leave a half-written output
        }
        if (skipped > 0) stderr.WriteLine($"alkanet: skipped {skipped} malformed record(s)");
        return ExitCodes.Ok;
    }
}
