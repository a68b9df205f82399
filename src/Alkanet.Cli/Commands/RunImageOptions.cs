using System.CommandLine;
using System.Globalization;
using Alkanet.Vmm.Live;

namespace Alkanet.Cli.Commands;

/// <summary>The options of <c>alkanet run</c> that boot a user's own disk image instead of the Linux analysis guest.</summary>
internal sealed class RunImageOptions
{
    public Option<string?> Image { get; } = new("--image") { Description = "Boot this disk image (raw, qcow2, vmdk, vhdx, vdi) instead of the " +
        "Linux analysis guest; it is never written (snapshot=on). Needs --os windows.", HelpName = "DISK" };
    public Option<string?> Os { get; } = new("--os") { Description = "The image's OS: windows (Windows 10 x64, booted through OVMF). linux is the " +
        "built-in analysis guest (no --image)." };
    public Option<string?> Memory { get; } = new("--memory") { Description = "Guest RAM with --image (e.g. 4G, 2048M; plain numbers are MiB). " +
        "Default 4G.", HelpName = "SIZE" };
    public Option<string?> Profiles { get; } = new("--profiles") { Description = "With --image: the folder of Windows symbol tables (ISF) the hook " +
        "searches, besides the embedded one. Default: alkanet profile's folder.", HelpName = "DIR" };

    public Option<string?> Snapshot { get; } = new("--snapshot") { Description = "With --image: start from this snapshot of the image (made " +
        "by 'alkanet image prepare DISK --snapshot NAME') instead of booting it; the sample starts within seconds.", HelpName = "NAME" };
    public Option<double?> Screenshots { get; } = new("--screenshots") { Description = "With --image: a screenshot every N seconds into " +
        "DIR/screenshots (0: none). Default: one at the end.", HelpName = "N" };

    /// <summary>True for an image run; throws <see cref="UsageException"/> for combinations that make no sense.</summary>
    public bool Validate(ParseResult parse, string? sample)
    {
        var image = parse.GetValue(Image);
        var os = parse.GetValue(Os);
        if (os is not (null or "linux" or "windows")) throw new UsageException($"--os must be linux or windows, not '{os}'");
        if (image is not null)
        {
            if (os is null) throw new UsageException("--image needs --os windows (the guest's OS decides how the hook finds its kernel)");
            if (os == "linux")
                throw new UsageException("--os linux with --image is not supported: tracing your own Linux image is not implemented; 'alkanet run " +
                    "SAMPLE' traces the built-in Linux analysis guest");
            if (parse.GetValue(Snapshot) is { } name)
            {
                try { ImageSnapshot.CheckName(name); }
                catch (ArgumentException e) { throw new UsageException("--snapshot: " + e.Message); }
            }
            if (parse.GetValue(Screenshots) is { } every && !(every >= 0 && every <= 3600))
                throw new UsageException($"--screenshots {every} is not between 0 and 3600 seconds");
            return true;
        }
        if (os == "windows") throw new UsageException("--os windows needs --image DISK (your Windows 10 x64 image): Alkanet has no built-in " +
            "Windows guest");
        if (parse.GetValue(Memory) is not null || parse.GetValue(Profiles) is not null || parse.GetValue(Snapshot) is not null
            || parse.GetValue(Screenshots) is not null)
            throw new UsageException("--memory, --profiles, --snapshot and --screenshots apply to --image runs only");
        if (sample is null) throw new UsageException("SAMPLE is required (or --image DISK --os windows)");
        return false;
    }

    /// <summary>The launch of an image run (<see cref="Validate"/> said it is one); a bad --memory is a usage error. With
    /// --snapshot the snapshot is opened (and checked) here, before anything boots; its machine size is the run's.</summary>
    public DiskImageLaunch Launch(ParseResult parse, string? sample)
    {
        var memory = parse.GetValue(Memory) is { } m ? ParseMemory(m) : (int?)null;
        var snapshot = parse.GetValue(Snapshot) is { } name ? ImageSnapshot.Open(parse.GetValue(Image)!, name) : null;
        if (snapshot is not null && memory is { } asked && asked != snapshot.MemoryMiB)
            throw new UsageException($"--memory {asked}M differs from snapshot '{snapshot.Name}' ({snapshot.MemoryMiB}M): " +
                "a restored machine keeps its RAM");
        return new DiskImageLaunch
        {
            Image = parse.GetValue(Image)!, Sample = sample, Profiles = parse.GetValue(Profiles), Snapshot = snapshot,
            MemoryMiB = snapshot?.MemoryMiB ?? memory ?? 4096,
        };
    }

    /// <summary>The run's options as an image run needs them: the snapshot's vCPUs (a different --smp, or --network, which the
    /// snapshot's machine lacks, is a usage error) and the screenshots.</summary>
    public TracedRunOptions Apply(ParseResult parse, TracedRunOptions o, DiskImageLaunch launch, bool cpusGiven)
    {
        if (launch.Snapshot is { } snap)
        {
            if (cpusGiven && o.Cpus != snap.Cpus)
                throw new UsageException($"--smp {o.Cpus} differs from snapshot '{snap.Name}' ({snap.Cpus} vCPUs): " +
                    "a restored machine keeps its vCPUs");
            if (o.Network != snap.Network)
                throw new UsageException($"--network: snapshot '{snap.Name}' was saved without a NIC (image prepare makes no network); " +
                    "leave out --network");
            o = o with { Cpus = snap.Cpus };
        }
        var every = parse.GetValue(Screenshots);
        return o with { Screenshots = every is not 0, ScreenshotEvery = every is > 0 ? TimeSpan.FromSeconds(every.Value) : null };
    }

    /// <summary>"4G", "512M", "2048" (MiB).</summary>
    public static int ParseMemory(string text)
    {
        var t = text.Trim().ToUpperInvariant();
        var scale = t.EndsWith('G') ? 1024 : 1;
        if (t.EndsWith('G') || t.EndsWith('M')) t = t[..^1];
        if (!long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0 || n * scale > 1024 * 1024 || n * scale < 256)
            throw new UsageException($"--memory '{text}' is not a size between 256M and 1024G (e.g. 4G, 2048M)");
        return (int)(n * scale);
    }
}
