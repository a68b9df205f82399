using System.Diagnostics;
using System.Text.Json.Nodes;
using Alkanet.Ring;
using Alkanet.Vmm.Qmp;

namespace Alkanet.Vmm.Live;

/// <summary>
/// The QMP side of an image run, on its own thread: resumes a restored snapshot and presses the start key, and takes
/// screenshots (QMP <c>screendump</c>, PNG) every <see cref="Plan.Every"/> and at the end. For the end screenshot the
/// guest's power-off pauses QEMU (<c>set-action shutdown=pause</c>) until the picture is taken, then QMP quits (exit 0,
/// as a power-off); a timeout or stop asks for it through <see cref="Finish"/> before QEMU is killed.
/// Everything here is best effort for the pictures: a failed screendump is noted, never the run's failure; but a
/// restore that cannot be resumed is (<see cref="Error"/>).
/// </summary>
internal sealed class RunMonitor : IDisposable
{
    /// <param name="Restore">The VM was started from a saved state (paused when loaded): resume it and press the key.</param>
    /// <param name="Screenshots">Folder for the pictures (DIR/screenshots); null: none.</param>
    /// <param name="Every">Also a picture this often (null: at the end only).</param>
    /// <param name="Ring">With a traced restore: wait for the plugin to find the kernel before pressing the key.</param>
    public sealed record Plan(bool Restore, string? Screenshots, TimeSpan? Every, Func<TraceRing?>? Ring, TimeSpan KernelWait);

    private static readonly TimeSpan ConnectWait = TimeSpan.FromSeconds(30);
    private readonly string _socket;
    private readonly Plan _plan;
    private readonly Action<string>? _log;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ManualResetEventSlim _finishAsked = new();
    private readonly ManualResetEventSlim _done = new();
    private readonly List<string> _pictures = [];
    private Thread? _thread;
    private int _qemuPid;
    private bool _disposed;

    public RunMonitor(string socket, Plan plan, Action<string>? log)
    {
        _socket = socket;
        _plan = plan;
        _log = log;
    }

    /// <summary>Relative paths (screenshots/NAME.png) of the pictures taken, in order.</summary>
    public IReadOnlyList<string> Screenshots
    {
        get { lock (_pictures) return [.. _pictures]; }
    }

    /// <summary>Seconds from QEMU's start to the restored guest running again (null: no restore, or it failed).</summary>
    public double? ResumedAfterSeconds { get; private set; }
    /// <summary>Seconds from QEMU's start to the start key (null: none sent).</summary>
    public double? StartKeyAfterSeconds { get; private set; }
    /// <summary>Why the restore could not be resumed (the run fails), or null.</summary>
    public string? Error { get; private set; }
    /// <summary>Screenshots that failed (the run goes on), or null.</summary>
    public string? ScreenshotError { get; private set; }

    /// <param name="qemuPid">QEMU's process (ours): killed when a restore cannot be resumed, rather than left paused.</param>
    public void Start(int qemuPid)
    {
        _qemuPid = qemuPid;
        _thread = new Thread(Work) { Name = "alkanet qmp monitor", IsBackground = true };
        _thread.Start();
    }

    /// <summary>Before QEMU is killed (timeout, stop): the end screenshot now, waiting at most a few seconds.</summary>
    public void Finish()
    {
        _finishAsked.Set();
        _done.Wait(TimeSpan.FromSeconds(10));
    }

    private void Work()
    {
        QmpClient? qmp = null;
        try
        {
            qmp = Connect();
            if (qmp is null) return;
            if (_plan.Screenshots is not null) qmp.Execute("set-action", new JsonObject { ["shutdown"] = "pause" });
            if (_plan.Restore) Resume(qmp);
            Watch(qmp);
        }
        catch (QmpException e)
        {
            if (_plan.Restore && ResumedAfterSeconds is null) Error = $"resuming the snapshot over QMP failed: {e.Message}";
            else ScreenshotError ??= e.Message;
            TryQuitOnShutdown(qmp);
        }
        finally
        {
            qmp?.Dispose();
            if (Error is not null) KillQemu();
            _done.Set();
        }
    }

    /// <summary>A restore that was never resumed would wait paused until the timeout: end it now (the run says why).</summary>
    private void KillQemu()
    {
        try
        {
            using var p = Process.GetProcessById(_qemuPid);
            p.Kill();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // already gone
        }
    }

    private QmpClient? Connect()
    {
        while (_clock.Elapsed < ConnectWait && !_finishAsked.IsSet)
        {
            if (File.Exists(_socket))
            {
                try { return QmpClient.Connect(_socket, TimeSpan.FromSeconds(30)); }
                catch (QmpException) { /* QEMU has made the socket but does not listen yet */ }
            }
            Thread.Sleep(20);
        }
        var why = $"QEMU's QMP socket {_socket} did not answer within {ConnectWait.TotalSeconds:0} s";
        if (_plan.Restore) Error = why;
        else ScreenshotError = why;
        return null;
    }

    /// <summary>-incoming loads the state, then QEMU waits paused (the state was saved stopped): cont, then — once the
    /// plugin has found the kernel in the restored memory, so the sample's first call is hooked — the start key.</summary>
    private void Resume(QmpClient qmp)
    {
        while (qmp.Status() is "inmigrate" or "prelaunch")
        {
            if (_finishAsked.IsSet) throw new QmpException("the run ended before the saved state was loaded");
            Thread.Sleep(10);
        }
        var migration = qmp.Execute("query-migrate");
        if (migration.TryGetProperty("status", out var st) && st.GetString() is "failed" or "cancelled")
            throw new QmpException($"loading the saved state failed ({st.GetString()})");
        qmp.Continue();
        ResumedAfterSeconds = _clock.Elapsed.TotalSeconds;
        _log?.Invoke($"run: snapshot restored and resumed {ResumedAfterSeconds:0.00} s after QEMU's start");
        if (_plan.Ring?.Invoke() is { } ring)
        {
            var waited = Stopwatch.StartNew();
            while ((ring.PluginState & RingLayout.PluginKernelFound) == 0 && waited.Elapsed < _plan.KernelWait && !_finishAsked.IsSet)
                Thread.Sleep(10);
            if ((ring.PluginState & RingLayout.PluginKernelFound) == 0)
                _log?.Invoke($"run: the plugin has not found the kernel {_plan.KernelWait.TotalSeconds:0} s after the restore; starting anyway");
        }
        qmp.Execute("send-key", new JsonObject { ["keys"] = new JsonArray(new JsonObject { ["type"] = "qcode", ["data"] = "ret" }) });
        StartKeyAfterSeconds = _clock.Elapsed.TotalSeconds;
    }

    /// <summary>Pictures every <see cref="Plan.Every"/> until the guest powers off (SHUTDOWN: QEMU paused) or the run asks
    /// to finish; then the end picture and, after a power-off, quit.</summary>
    private void Watch(QmpClient qmp)
    {
        if (_plan.Screenshots is null) return;
        var next = _plan.Every is { } every ? _clock.Elapsed + every : TimeSpan.MaxValue;
        while (true)
        {
            if (_finishAsked.IsSet)
            {
                Picture(qmp, "end");
                return;
            }
            if (qmp.IsClosed) return; // QEMU has gone
            if (qmp.WaitForEvent("SHUTDOWN", TimeSpan.FromMilliseconds(200)) is not null)
            {
                Picture(qmp, "end");
                qmp.Quit();
                return;
            }
            if (_clock.Elapsed >= next)
            {
                Picture(qmp, $"{_clock.Elapsed.TotalSeconds:000.0}s".Replace('.', '_'));
                next += _plan.Every!.Value;
            }
        }
    }

    private void Picture(QmpClient qmp, string label)
    {
        if (qmp.IsClosed) return;
        int count;
        lock (_pictures) count = _pictures.Count;
        var name = $"{count + 1:000}-{label}.png";
        var path = Path.Combine(_plan.Screenshots!, name);
        try
        {
            qmp.Execute("screendump", new JsonObject { ["filename"] = path, ["format"] = "png" });
            lock (_pictures) _pictures.Add("screenshots/" + name);
        }
        catch (QmpException e)
        {
            ScreenshotError ??= $"screendump {name}: {e.Message}";
        }
    }

    /// <summary>After a failure with shutdown=pause set, a power-off would leave QEMU paused until the timeout: undo it.</summary>
    private static void TryQuitOnShutdown(QmpClient? qmp)
    {
        try { qmp?.Execute("set-action", new JsonObject { ["shutdown"] = "poweroff" }); }
        catch (QmpException) { /* the connection is gone: QEMU's own end decides */ }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _finishAsked.Set();
        _thread?.Join(TimeSpan.FromSeconds(15));
        _finishAsked.Dispose();
        _done.Dispose();
    }
}
