using System.Diagnostics;
using System.Globalization;
using Alkanet.Farm.Storage;

namespace Alkanet.Farm.Worker;

/// <summary>How one attempt ended.</summary>
public sealed record RunOutcome(bool Succeeded, string State, string? Reason, int? ExitCode, IReadOnlyList<ArtifactFile> Artifacts);

/// <summary>
/// One attempt of a task as a child process: <c>RUNNER run SAMPLE --out DIR --timeout Ns [--network] --logger HOST:PORT
/// --token-file F --run-id TASK-ATTEMPT</c> (only <c>alkanet run</c>'s documented options and exit codes). The child
/// is started under <c>setpriv --pdeathsig KILL</c>, so a worker killed outright takes its runs with it (and
/// <c>alkanet run</c> does the same for its QEMU); a run that outlives its timeout plus the leeway is killed with its
/// whole process tree. A crash or hang of the guest therefore costs one attempt, never the worker.
/// </summary>
/// <param name="yaraRules">The task's YARA rules (its <c>yara</c> part), or null.</param>
public sealed class TaskRun(WorkerOptions options, TaskView task, int attempt, byte[] sample, byte[]? yaraRules)
{
    /// <summary>Files bigger than this are left out of the stored artifacts (named in the attempt's reason).</summary>
    public const long MaxArtifactBytes = 256L << 20;

    private Process? _process;
    private volatile string? _killReason;

    public string RunId { get; } = FarmNames.RunId(task.Id, attempt);

    /// <summary>The attempt's folder (sample, output, runner.log); kept after a failure for a look, removed after a success.</summary>
    public string Directory { get; } = Path.Combine(options.WorkDirectory, $"task-{task.Id}-{attempt}");

    /// <summary>Removes the attempt's folder once its results are stored.</summary>
    public void Cleanup()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // a leftover folder costs disk, not correctness; the next attempt of the same number replaces it
        }
    }

    /// <summary>Kills the run (cancelled task, worker stopping hard); the outcome says why.</summary>
    public void Kill(string reason)
    {
        _killReason = reason;
        try
        {
            _process?.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
    }

    /// <summary>Runs the attempt to its end on the calling thread (a slot's own thread: the child's parent-death
    /// signal is tied to the thread that started it).</summary>
    public RunOutcome Execute()
    {
        var dir = Directory;
        if (System.IO.Directory.Exists(dir)) System.IO.Directory.Delete(dir, recursive: true);
        var sampleDir = System.IO.Directory.CreateDirectory(Path.Combine(dir, "sample")).FullName;
        var samplePath = Path.Combine(sampleDir, SafeFileName(task.SampleName));
        File.WriteAllBytes(samplePath, sample);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(samplePath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var outDir = Path.Combine(dir, "out");
        var psi = new ProcessStartInfo { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        var setpriv = File.Exists("/usr/bin/setpriv") ? "/usr/bin/setpriv" : null;
        var args = new List<string>();
        if (setpriv is not null) args.AddRange(["--pdeathsig", "KILL", "--"]);
        args.AddRange(options.Runner);
        args.Add("run");
        args.AddRange(options.ImageArguments());
        args.AddRange([samplePath, "--out", outDir, "--timeout", task.TimeoutSeconds.ToString(CultureInfo.InvariantCulture) + "s",
            "--logger", options.LoggerEndpoint, "--token-file", Path.GetFullPath(options.TokenFile), "--run-id", RunId, "--capture", task.Capture]);
        if (task.Network) args.Add("--network");
        if (yaraRules is not null)
        {
            // named by SHA-256: the uploaded name is shown to users, never used as a path
            var rules = Path.Combine(System.IO.Directory.CreateDirectory(Path.Combine(dir, "rules")).FullName, task.YaraSha256 + ".yar");
            File.WriteAllBytes(rules, yaraRules);
            args.AddRange(["--yara", rules]);
        }
        psi.FileName = setpriv ?? args[0];
        foreach (var a in setpriv is null ? args.Skip(1) : args) psi.ArgumentList.Add(a);
        var log = new BoundedTail(40);
        using var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => log.Add(e.Data);
        p.ErrorDataReceived += (_, e) => log.Add(e.Data);
        try
        {
            p.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return new RunOutcome(false, "failed", $"could not start {psi.FileName}: {ex.Message}", null, []);
        }
        _process = p;
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        var limit = TimeSpan.FromSeconds(task.TimeoutSeconds) + options.Leeway;
        if (!p.WaitForExit(limit))
        {
            Kill($"no result within the task's timeout ({task.TimeoutSeconds} s) plus the worker's leeway ({options.Leeway.TotalSeconds:0} s): " +
                 "the run was killed as hung");
            p.WaitForExit(TimeSpan.FromSeconds(30));
        }
        p.WaitForExit(); // drains the output readers
        File.WriteAllLines(Path.Combine(dir, "runner.log"), log.Lines);
        if (_killReason is { } why)
            return new RunOutcome(false, why.StartsWith("cancelled", StringComparison.Ordinal) ? "cancelled" : "failed", why, null, []);
        if (p.ExitCode != 0)
        {
            var tail = string.Join(" | ", log.Lines.Where(l => l.Length > 0).TakeLast(3));
            return new RunOutcome(false, "failed", $"the run exited with code {p.ExitCode}: {Truncate(tail, 600)}", p.ExitCode, []);
        }
        var (artifacts, skipped) = Collect(outDir);
        return new RunOutcome(true, "done", skipped.Count == 0 ? null : "left out (too large): " + string.Join(", ", skipped), 0, artifacts);
    }

    /// <summary>Every file the run wrote except the trace itself (the service stored its records as they came).</summary>
    private static (List<ArtifactFile> Files, List<string> Skipped) Collect(string outDir)
    {
        var files = new List<ArtifactFile>();
        var skipped = new List<string>();
        if (!System.IO.Directory.Exists(outDir)) return (files, skipped);
        foreach (var path in System.IO.Directory.EnumerateFiles(outDir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var name = Path.GetRelativePath(outDir, path).Replace('\\', '/');
            if (name is "trace.jsonl" or "trace.jsonl.gz") continue;
            if (new FileInfo(path).Length > MaxArtifactBytes)
            {
                skipped.Add(name);
                continue;
            }
            files.Add(new ArtifactFile(name, File.ReadAllBytes(path)));
        }
        return (files, skipped);
    }

    /// <summary>The submitted name, reduced to characters safe in a path (the extension tells <c>alkanet run</c> what it is).</summary>
    public static string SafeFileName(string name)
    {
        var chars = Path.GetFileName(name).Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_').ToArray();
        var safe = new string(chars).TrimStart('.');
        return safe.Length == 0 ? "sample" : safe[..Math.Min(safe.Length, 100)];
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max] + "…";

    /// <summary>The last lines a run printed (its reason on failure), bounded.</summary>
    private sealed class BoundedTail(int max)
    {
        private readonly Queue<string> _lines = new();

        public void Add(string? line)
        {
            if (line is null) return;
            lock (_lines)
            {
                _lines.Enqueue(line.Length > 400 ? line[..400] : line);
                if (_lines.Count > max) _lines.Dequeue();
            }
        }

        public IReadOnlyList<string> Lines
        {
            get { lock (_lines) return [.. _lines]; }
        }
    }
}
