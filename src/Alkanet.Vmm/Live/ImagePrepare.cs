using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Alkanet.Ring;
using Alkanet.Vmm.Host;
using Alkanet.Vmm.Qemu;
using Alkanet.Vmm.Qmp;

namespace Alkanet.Vmm.Live;

/// <summary>What <c>alkanet image prepare</c> is asked for.</summary>
public sealed record ImagePrepareOptions
{
    public required string Image { get; init; }
    public string Name { get; init; } = "ready";
    /// <summary>How long the guest runs on after the plugin has found its kernel (Windows: until the desktop is idle).</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(120);
    /// <summary>The whole boot may take this long (the kernel must be found within it).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(15);
    public int MemoryMiB { get; init; } = 4096;
    public int Cpus { get; init; } = 2;
    public string? Profiles { get; init; }
}

/// <summary>
/// <c>alkanet image prepare DISK</c>: boots the image once (as <c>run --image</c> does: OVMF, TCG, the plugin in Windows
/// mode, its ring paused so nothing is recorded) with a qcow2 overlay over it as the disk and a QMP socket. Settled means:
/// the plugin has found the kernel (so a restore can find it too) and <see cref="ImagePrepareOptions.Settle"/> has passed
/// since. Then the VM is stopped, its state saved to a file (QMP migrate to file:), QEMU quits, and the overlay, state and
/// UEFI variables become the snapshot (<see cref="ImageSnapshot"/>, DISK.alkanet/NAME.*). Nothing is half-written: the
/// files are made under .partial names and renamed into place at the end; the image is never opened for writing.
/// </summary>
public static class ImagePrepare
{
    public sealed record Result(ImageSnapshot Snapshot, double WallSeconds, long OverlayBytes, long StateBytes);

    public static Result Execute(ImagePrepareOptions o, Action<string>? log = null)
    {
        ImageSnapshot.CheckName(o.Name);
        var qemu = QemuInstallation.Find();
        var launch = new DiskImageLaunch { Image = o.Image, Profiles = o.Profiles, MemoryMiB = o.MemoryMiB };
        launch.Check(qemu, log);
        var qemuImg = HostTools.FindOnPath("qemu-img") ?? throw new PrerequisiteMissingException(
            "qemu-img (qemu-utils) is not installed; install it with: sudo bash scripts/setup.d/41-qemu-img.sh");
        var plugin = PluginLocator.Locate(log);
        var image = Path.GetFullPath(o.Image);
        var imageInfo = new FileInfo(image);
        var folder = Directory.CreateDirectory(ImageSnapshot.FolderOf(image)).FullName;
        var snap = new ImageSnapshot
        {
            Image = image, Name = o.Name, MemoryMiB = o.MemoryMiB, Cpus = o.Cpus, Network = false, ImageBytes = imageInfo.Length,
            ImageWrittenUtc = imageInfo.LastWriteTimeUtc, CreatedUtc = DateTime.UtcNow, SettleSeconds = o.Settle.TotalSeconds,
        };
        string Partial(string path) => path + ".partial";
        var partials = new[] { snap.Overlay, snap.State, snap.Vars, snap.Info }.Select(Partial).ToArray();
        foreach (var p in partials) File.Delete(p);
        var wall = Stopwatch.StartNew();
        var work = Directory.CreateTempSubdirectory("alkanet-prepare-");
        try
        {
            CreateOverlay(qemuImg, image, launch.Format, Partial(snap.Overlay));
            var vars = Path.Combine(work.FullName, "OVMF_VARS.fd");
            File.Copy(QemuInstallation.Ovmf().Vars, vars);
            var drives = new[] { DiskImageLaunch.ImageDrive(Partial(snap.Overlay), "qcow2", snapshotOn: false),
                DiskImageLaunch.SampleDriveSpec(SampleDrive.Empty(work.FullName)) };
            var socket = Path.Combine(work.FullName, "qmp.sock");
            TraceRing? ring = null;
            var saver = new Saver(socket, () => ring, o.Settle, Partial(snap.State), log);
            log?.Invoke($"prepare: booting {image} ({launch.Format}) with the overlay {snap.Overlay}; snapshot once the plugin has found the " +
                $"kernel and {o.Settle.TotalSeconds:0.#} s more");
            var session = QemuRingSession.Run(qemu, ringPath => launch.Machine(Path.Combine(work.FullName, "console.log"), vars, drives, o.MemoryMiB)
                with { Cpus = o.Cpus, QmpSocket = socket, Plugin = launch.PluginArguments(plugin, ringPath, allArgs: false) },
                new QemuRingSession.Output
                {
                    TracePath = Path.Combine(work.FullName, "trace.jsonl"),
                    OnRingReady = r => { r.Paused = true; ring = r; }, // the preparing boot records nothing
                },
                new QemuRingSession.Limits(o.Timeout, saver.Start));
            saver.Join();
            if (!saver.Saved)
                throw new InvalidOperationException($"prepare: no snapshot of {image}: " + (saver.Error ?? (session.TimedOut
                    ? $"the plugin did not find the kernel within {o.Timeout.TotalSeconds:0} s ({session.OsStatus})"
                    : $"QEMU ended (exit {session.ExitCode}) before the snapshot: {session.Diagnostics}")));
            File.Copy(vars, Partial(snap.Vars));
            snap = snap with { KernelFoundAfterSeconds = saver.KernelFoundAfter, Discovery = session.OsStatus };
            snap.WriteInfo(Partial(snap.Info));
            // The description last: List() and Open() only see a snapshot whose files are all in place.
            foreach (var f in new[] { snap.Overlay, snap.State, snap.Vars, snap.Info }) File.Move(Partial(f), f, overwrite: true);
            return new Result(snap, wall.Elapsed.TotalSeconds, new FileInfo(snap.Overlay).Length, new FileInfo(snap.State).Length);
        }
        finally
        {
            foreach (var p in partials) File.Delete(p);
            work.Delete(true);
        }
    }

    private static void CreateOverlay(string qemuImg, string image, string format, string overlay)
    {
        var psi = new ProcessStartInfo(qemuImg) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "create", "-q", "-f", "qcow2", "-F", format, "-b", image, overlay }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {qemuImg}");
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"qemu-img could not make the overlay {overlay} over {image}: {err.Trim()}");
    }

    /// <summary>The QMP side of the preparing boot: waits for the kernel and the settle time, then stop, migrate to the
    /// state file, quit.</summary>
    private sealed class Saver(string socket, Func<TraceRing?> ring, TimeSpan settle, string statePath, Action<string>? log)
    {
        private readonly Stopwatch _clock = new();
        private Thread? _thread;

        public bool Saved { get; private set; }
        public string? Error { get; private set; }
        public double KernelFoundAfter { get; private set; }

        public void Start(int qemuPid)
        {
            _clock.Start();
            _thread = new Thread(() => Work(qemuPid)) { Name = "alkanet prepare", IsBackground = true };
            _thread.Start();
        }

        public void Join() => _thread?.Join();

        private void Work(int qemuPid)
        {
            try
            {
                using var qmp = Connect();
                while (ring() is not { } r || (r.PluginState & RingLayout.PluginKernelFound) == 0)
                {
                    if (qmp.IsClosed || qmp.Status() is "shutdown") throw new QmpException("the guest ended before the plugin found its kernel");
                    Thread.Sleep(100);
                }
                KernelFoundAfter = _clock.Elapsed.TotalSeconds;
                log?.Invoke($"prepare: the plugin found the kernel after {KernelFoundAfter:0.0} s; settling {settle.TotalSeconds:0.#} s");
                Thread.Sleep(settle);
                if (qmp.Status() is not "running") throw new QmpException($"the guest is '{qmp.Status()}', not running, after the settle time");
                qmp.Stop();
                qmp.Execute("migrate", new JsonObject { ["uri"] = "file:" + statePath });
                WaitForMigration(qmp);
                Saved = true;
                log?.Invoke($"prepare: state saved ({new FileInfo(statePath).Length / (1 << 20)} MiB) " +
                    $"{_clock.Elapsed.TotalSeconds:0.0} s after start");
                qmp.Quit();
            }
            catch (QmpException e)
            {
                Error = e.Message;
                try { using var p = Process.GetProcessById(qemuPid); p.Kill(); }
                catch (Exception k) when (k is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception) { }
            }
        }

        private QmpClient Connect()
        {
            while (true)
            {
                try { return QmpClient.Connect(socket, TimeSpan.FromSeconds(60)); }
                catch (QmpException) when (_clock.Elapsed < TimeSpan.FromSeconds(30)) { Thread.Sleep(20); }
            }
        }

        private static void WaitForMigration(QmpClient qmp)
        {
            while (true)
            {
                var status = qmp.Execute("query-migrate").TryGetProperty("status", out var s) ? s.GetString() : null;
                if (status == "completed") return;
                if (status is "failed" or "cancelled")
                    throw new QmpException(string.Create(CultureInfo.InvariantCulture, $"saving the machine state failed ({status})"));
                Thread.Sleep(50);
            }
        }
    }
}
