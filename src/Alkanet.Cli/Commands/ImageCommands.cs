using System.CommandLine;
using System.Globalization;
using Alkanet.Vmm.Host;
using Alkanet.Vmm.Live;

namespace Alkanet.Cli.Commands;

/// <summary><c>alkanet image prepare|list</c>: snapshots of a user's disk image that <c>alkanet run --image DISK --snapshot
/// NAME</c> starts from in seconds instead of booting (the files live in DISK.alkanet/ beside the image).</summary>
internal static class ImageCommands
{
    public static Command Create()
    {
        var image = new Command("image", "Snapshots of your disk image: prepare one (boot once, wait for the guest to settle, save it), list them.");
        image.Add(Prepare());
        image.Add(List());
        return image;
    }

    private static Command Prepare()
    {
        var disk = new Argument<string>("DISK") { Description = "The disk image (raw, qcow2, vmdk, vhdx, vdi); never written." };
        var name = new Option<string>("--snapshot") { Description = "The snapshot's name (run --snapshot NAME restores it).", HelpName = "NAME",
            DefaultValueFactory = _ => "ready" };
        var settle = new Option<double>("--settle") { Description = "Seconds the guest runs on after the plugin has found its kernel, before the " +
            "snapshot (Windows: until the desktop is idle).", HelpName = "SECONDS", DefaultValueFactory = _ => 120 };
        var timeout = new Option<string?>("--timeout") { Description = "Give up when the kernel is not found within this long (default 15m)." };
        var memory = new Option<string?>("--memory") { Description = "Guest RAM (e.g. 4G, 2048M); runs from the snapshot have the same. Default 4G.",
            HelpName = "SIZE" };
        var cpus = new Option<int>("--smp") { Description = "vCPUs; runs from the snapshot have the same.", DefaultValueFactory = _ => 2 };
        var profiles = new Option<string?>("--profiles") { Description = "The folder of Windows symbol tables (ISF) the hook searches.",
            HelpName = "DIR" };
        var os = new Option<string>("--os") { Description = "The image's OS (windows).", DefaultValueFactory = _ => "windows" };
        var cmd = new Command("prepare", "Boot DISK once under QEMU with the plugin (recording nothing); once the plugin has found the kernel " +
            "and --settle seconds have passed, stop the VM and save it as snapshot NAME in DISK.alkanet/ (a qcow2 overlay over DISK, the " +
            "machine state, the UEFI variables). The image itself is never written.")
        {
            disk, name, settle, timeout, memory, cpus, profiles, os,
        };
        cmd.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            if (parse.GetValue(os) != "windows") throw new UsageException($"--os must be windows, not '{parse.GetValue(os)}'");
            var seconds = parse.GetValue(settle);
            if (!(seconds >= 0 && seconds <= 24 * 3600)) throw new UsageException($"--settle {seconds} is not between 0 and 86400 seconds");
            var smp = parse.GetValue(cpus);
            if (smp is < 1 or > 16) throw new UsageException("--smp must be between 1 and 16");
            var snapshot = parse.GetValue(name)!;
            try { ImageSnapshot.CheckName(snapshot); }
            catch (ArgumentException e) { throw new UsageException("--snapshot: " + e.Message); }
            var options = new ImagePrepareOptions
            {
                Image = parse.GetValue(disk)!, Name = snapshot, Settle = TimeSpan.FromSeconds(seconds), Cpus = smp,
                Profiles = parse.GetValue(profiles),
                MemoryMiB = parse.GetValue(memory) is { } m ? RunImageOptions.ParseMemory(m) : 4096,
                Timeout = parse.GetValue(timeout) is { } t ? RunCommands.ParseDuration(t) : TimeSpan.FromMinutes(15),
            };
            try
            {
                var r = ImagePrepare.Execute(options, msg => error.WriteLine(msg));
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{r.Snapshot.Info}: snapshot '{r.Snapshot.Name}' of {r.Snapshot.Image}: kernel found after " +
                    $"{r.Snapshot.KernelFoundAfterSeconds:0.0} s, settled {r.Snapshot.SettleSeconds:0.#} s, state {r.StateBytes >> 20} MiB, " +
                    $"overlay {r.OverlayBytes >> 20} MiB, wall {r.WallSeconds:0.0} s"));
                output.WriteLine($"run it with: alkanet run --image {options.Image} --os windows --snapshot {r.Snapshot.Name} [SAMPLE]");
                return ExitCodes.Ok;
            }
            catch (PrerequisiteMissingException e)
            {
                throw new CommandFailedException(e.Message);
            }
            catch (Exception e) when (e is InvalidDataException or FileNotFoundException or InvalidOperationException or UnauthorizedAccessException
                or IOException)
            {
                throw new CommandFailedException(e.Message);
            }
        });
        return cmd;
    }

    private static Command List()
    {
        var disk = new Argument<string>("DISK") { Description = "The disk image." };
        var cmd = new Command("list", "List DISK's prepared snapshots (DISK.alkanet/).") { disk };
        cmd.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var image = parse.GetValue(disk)!;
            if (!File.Exists(image)) throw new CommandFailedException($"the disk image {Path.GetFullPath(image)} does not exist");
            foreach (var n in ImageSnapshot.List(image))
            {
                try
                {
                    var s = ImageSnapshot.Open(image, n);
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{n,-20} {s.CreatedUtc:u}  {s.MemoryMiB} MiB, {s.Cpus} vCPUs, settled {s.SettleSeconds:0.#} s  {s.Discovery}"));
                }
                catch (Exception e) when (e is InvalidDataException or FileNotFoundException)
                {
                    output.WriteLine($"{n,-20} unusable: {e.Message}");
                }
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
