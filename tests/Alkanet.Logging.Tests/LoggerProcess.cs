using System.Diagnostics;

namespace Alkanet.Logging.Tests;

/// <summary>The real <c>alkanet logger</c> as a child process (<c>dotnet alkanet.dll logger ...</c>), so a test can kill it.</summary>
internal sealed class LoggerProcess : IDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource<string> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<string> _output = [];

    public LoggerProcess(int port, string dataDirectory, string token, int? httpPort = null)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.ArgumentList.Add(CliPath());
        foreach (var a in new[] { "logger", "--listen", $"127.0.0.1:{port}", "--data", dataDirectory, "--token", token }) psi.ArgumentList.Add(a);
        if (httpPort is { } hp)
        {
            psi.ArgumentList.Add("--http");
            psi.ArgumentList.Add($"127.0.0.1:{hp}");
        }
        else
        {
            psi.ArgumentList.Add("--no-http");
        }
        _process = Process.Start(psi) ?? throw new InvalidOperationException("could not start dotnet");
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        _process.EnableRaisingEvents = true;
        _process.Exited += (_, _) => _ready.TrySetException(new InvalidOperationException("logger exited: " + Output));
        if (!_ready.Task.Wait(TimeSpan.FromSeconds(60))) throw new TimeoutException("logger did not start: " + Output);
    }

    public string Output
    {
        get { lock (_output) return string.Join('\n', _output); }
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_output) _output.Add(line);
        if (line.Contains("alkanet logger: data in", StringComparison.Ordinal)) _ready.TrySetResult(line);
    }

    /// <summary>SIGKILL: no shutdown code runs, like a crash or a pulled plug of the process.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    public void Dispose()
    {
        if (!_process.HasExited) Kill();
        _process.Dispose();
    }

    /// <summary>alkanet.dll of the same configuration as this test build.</summary>
    public static string CliPath()
    {
        var own = Path.Combine(AppContext.BaseDirectory, "alkanet.dll");
        if (File.Exists(own) && File.Exists(Path.Combine(AppContext.BaseDirectory, "alkanet.runtimeconfig.json"))) return own;
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        var config = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Alkanet.slnx"))) dir = dir.Parent;
        if (dir is null) throw new FileNotFoundException("repository root (Alkanet.slnx) not found above " + AppContext.BaseDirectory);
        var path = Path.Combine(dir.FullName, "src", "Alkanet.Cli", "bin", config, "net10.0", "alkanet.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("build the CLI first", path);
    }
}
