using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Alkanet.Vmm.Guest;
using Alkanet.Vmm.Host;
using Alkanet.Vmm.Live;
using Alkanet.Vmm.Qemu;

namespace Alkanet.Cli.Tests;

/// <summary>What the live `alkanet run` tests need: the cached analysis guest and the plugin (skip locally when
/// missing, fail under CI=true), the repository's samples, and the real `alkanet logger` as a child process.</summary>
internal static class RunLive
{
    private static readonly Lazy<string?> Missing = new(() =>
    {
        try
        {
            AnalysisGuest.Prepare(QemuInstallation.Find());
            PluginLocator.Locate();
            return null;
        }
        catch (PrerequisiteMissingException e)
        {
            return e.Message;
        }
    });

    public static void Require()
    {
        if (Missing.Value is not { } why) return;
        if (Environment.GetEnvironmentVariable("CI") == "true") Assert.Fail("live-tracing prerequisite missing under CI: " + why);
        Assert.Skip("live-tracing prerequisite missing: " + why);
    }

    public static string Repo => AlkanetPaths.RepositoryRoot() ?? throw new InvalidOperationException("tests must run inside the repository");

    public static string Sample(string name) => Path.Combine(Repo, "samples", name);

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public static JsonElement ReadJson(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.Clone();
    }

    /// <summary>The findings of a report.json: rule id → ATT&amp;CK ids.</summary>
    public static Dictionary<string, string[]> Findings(JsonElement report) =>
        report.GetProperty("findings").EnumerateArray().ToDictionary(
            f => f.GetProperty("rule").GetString()!,
            f => f.GetProperty("attack").EnumerateArray().Select(a => a.GetProperty("id").GetString()!).ToArray());

    /// <summary>The behaviour items of a report.json as (kind, object, tags).</summary>
    public static List<(string Kind, string Object, string Detail, string[] Tags)> Behaviour(JsonElement report) =>
        report.GetProperty("behaviour").EnumerateArray().Select(b => (
            b.GetProperty("kind").GetString()!, b.GetProperty("object").GetString()!,
            b.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()! : "",
            b.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).ToArray())).ToList();
}

/// <summary>The real <c>alkanet logger</c> (<c>dotnet alkanet.dll logger ...</c>) on free loopback ports.</summary>
internal sealed class LoggerChild : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly ManualResetEventSlim _ready = new();

    public LoggerChild(string dataDirectory, string token)
    {
        Port = RunLive.FreePort();
        HttpPort = RunLive.FreePort();
        Data = dataDirectory;
        Token = token;
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(CliPath());
        foreach (var a in new[] { "logger", "--listen", Endpoint, "--http", Http, "--data", dataDirectory, "--token", token }) psi.ArgumentList.Add(a);
        _process = Process.Start(psi) ?? throw new InvalidOperationException("could not start dotnet");
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        if (!_ready.Wait(TimeSpan.FromSeconds(60))) throw new TimeoutException("the logger did not start: " + Output);
    }

    public int Port { get; }

    public int HttpPort { get; }

    public string Data { get; }

    public string Token { get; }

    public string Endpoint => $"127.0.0.1:{Port}";

    public string Http => $"127.0.0.1:{HttpPort}";

    public string Output { get { lock (_lines) return string.Join('\n', _lines); } }

    public string RunFile(string runId) => Path.Combine(Data, "runs", runId + ".jsonl");

    /// <summary>`alkanet logger control RUN COMMAND ...` through the logger's HTTP API, as a user would.</summary>
    public CliRunner.Result Control(string runId, string command, params string[] more) =>
        CliRunner.Run(["logger", "control", runId, command, "--http", Http, "--token", Token, .. more]);

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_lines) _lines.Add(line);
        if (line.Contains("alkanet logger: data in", StringComparison.Ordinal)) _ready.Set();
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }

    /// <summary>alkanet.dll beside this test build (the CLI is a project reference).</summary>
    private static string CliPath()
    {
        var own = Path.Combine(AppContext.BaseDirectory, "alkanet.dll");
        if (File.Exists(own) && File.Exists(Path.Combine(AppContext.BaseDirectory, "alkanet.runtimeconfig.json"))) return own;
        var config = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var built = Path.Combine(RunLive.Repo, "src", "Alkanet.Cli", "bin", config, "net10.0", "alkanet.dll");
        return File.Exists(built) ? built : throw new FileNotFoundException("alkanet.dll not found beside the tests nor in the CLI's build folder", built);
    }
}
