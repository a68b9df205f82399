using System.Diagnostics;

namespace Alkanet.Farm.Tests.Servers;

/// <summary>The real <c>alkanet serve</c> or <c>alkanet worker</c> as a child process (<c>dotnet alkanet.dll ...</c>),
/// so a test can SIGTERM or SIGKILL it like an operator or a crash would.</summary>
public sealed class AlkanetProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];
    private readonly TaskCompletionSource<string> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _readyText;

    public AlkanetProcess(string readyText, params string[] args)
    {
        _readyText = readyText;
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "alkanet.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        _process = Process.Start(psi) ?? throw new InvalidOperationException("could not start dotnet");
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        _process.EnableRaisingEvents = true;
        _process.Exited += (_, _) => _ready.TrySetException(new InvalidOperationException($"alkanet {args[0]} exited: {Output}"));
        if (!_ready.Task.Wait(TimeSpan.FromMinutes(2))) throw new TimeoutException($"alkanet {args[0]} did not start: {Output}");
    }

    public int Pid => _process.Id;

    public string Output
    {
        get { lock (_output) return string.Join('\n', _output); }
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_output) _output.Add(line);
        if (line.Contains(_readyText, StringComparison.Ordinal)) _ready.TrySetResult(line);
    }

    /// <summary>The text of the first output line that contains <paramref name="text"/>.</summary>
    public string? Line(string text)
    {
        lock (_output) return _output.FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal));
    }

    /// <summary>SIGKILL of this process only (its runs die with it through their parent-death signal).</summary>
    public void Kill9()
    {
        Process.Start("kill", ["-9", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        _process.WaitForExit(30_000);
    }

    public void Terminate()
    {
        Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
    }

    public bool WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout);

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(30_000);
        _process.Dispose();
    }
}
