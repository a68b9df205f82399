using System.CommandLine;
using System.IO.Compression;
using Alkanet.Logging.Storage;

namespace Alkanet.Cli.Commands;

/// <summary><c>alkanet logger export RUN -o FILE [--data DIR]</c>: a stored run as JSON Lines (.gz compresses).</summary>
internal static class LoggerExportCommand
{
    public static Command Create()
    {
        var run = new Argument<string>("RUN") { Description = "The run id." };
        var outFile = new Option<string>("--output", "-o") { Description = "Output file (.gz compresses; '-' for standard output).",
            Required = true };
        var data = new Option<string>("--data") { Description = "The logger's data directory.", DefaultValueFactory = _ => "alkanet-logger-data" };
        var cmd = new Command("export", "Write a stored run as JSON Lines (gzip when the file ends in .gz). Safe while the logger runs.") { run,
            outFile, data };
        cmd.SetAction(parse =>
        {
            var id = parse.GetValue(run)!;
            var path = parse.GetValue(outFile)!;
            using var store = new SqliteRunStore(parse.GetValue(data)!, readOnly: true);
            var info = store.FindRun(id) ?? throw new CommandFailedException(
                $"no run '{id}' in {store.DataDirectory} (runs: {string.Join(", ", store.ListRuns().Select(r => r.RunId).DefaultIfEmpty("none"))})");
            var temp = path == "-" ? null : path + ".partial";
            long count = 0;
            try
            {
                using (var target = temp is null ? Console.OpenStandardOutput() : new FileStream(temp, FileMode.Create, FileAccess.Write))
                using (var stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(target, CompressionLevel.Optimal)
                    : (Stream)target)
                {
                    using var source = store.OpenRunJsonLines(id);
                    var buf = new byte[1 << 16];
                    int n;
                    while ((n = source.Read(buf)) > 0)
                    {
                        stream.Write(buf, 0, n);
                        count += buf.AsSpan(0, n).Count((byte)'\n');
                    }
                }
                if (temp is not null) File.Move(temp, path, overwrite: true); // nothing half-written under the real name
            }
            finally
            {
                if (temp is not null && File.Exists(temp)) File.Delete(temp);
            }
            parse.InvocationConfiguration.Error.WriteLine(
                $"alkanet logger export: {count} records of run {id} ({info.State}, no {info.FirstNo}..{info.LastNo}, {info.LossRecords} lost) -> " +
                    $"{path}");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
