using System.Text.Json;
using Spectre.Console;

namespace Alkanet.Cli.Output;

/// <summary>Output helpers shared by commands: Spectre tables on the command's own writer (so tests can
/// capture them), and JSON for scripts.</summary>
internal static class ConsoleOutput
{
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static IAnsiConsole Ansi(TextWriter writer)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
        Out = new AnsiConsoleOutput(writer),
        Ansi = writer == Console.Out && !Console.IsOutputRedirected ? AnsiSupport.Detect : AnsiSupport.No,
        ColorSystem = writer == Console.Out && !Console.IsOutputRedirected ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        Interactive = InteractionSupport.No,
        });
        // Redirected output is read by people in files and CI logs: do not wrap at 80 columns.
        if (writer != Console.Out || Console.IsOutputRedirected) console.Profile.Width = 200;
        return console;
    }

    public static void WriteJson<T>(TextWriter writer, T value) => writer.WriteLine(JsonSerializer.Serialize(value, Json));

    /// <summary>True when a progress bar makes sense: a person is watching standard error.</summary>
    public static bool CanShowProgress => !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("CI") is null;
}
