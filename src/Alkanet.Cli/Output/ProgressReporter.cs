using Alkanet.Core.Json;
using Spectre.Console;

namespace Alkanet.Cli.Output;

/// <summary>A progress bar on standard error while a long log is read, only when a person is watching.</summary>
internal static class ProgressReporter
{
    private const long MinBytesForProgress = 64L * 1024 * 1024;

    public static void Run(JsonLinesReader reader, string file, Action work)
    {
        long size = file != "-" && File.Exists(file) ? new FileInfo(file).Length : 0;
        var compressed = file.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);
        if (!ConsoleOutput.CanShowProgress || size < MinBytesForProgress || compressed)
        {
            work();
            return;
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        console.Progress().AutoClear(true).Start(ctx =>
        {
            var task = ctx.AddTask(Path.GetFileName(file), maxValue: size);
            using var timer = new Timer(_ => task.Value = reader.BytesConsumed, null, 200, 200);
            work();
            task.Value = size;
        });
    }
}
