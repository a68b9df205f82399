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
            return true;
        }
        if (os == "windows") throw new UsageException("--os windows needs --image DISK (your Windows 10 x64 image): Alkanet has no built-in " +
            "Windows guest");
        if (parse.GetValue(Memory) is not null || parse.GetValue(Profiles) is not null) throw new UsageException("--memory and --profiles apply to " +
            "--image runs only");
        if (sample is null) throw new UsageException("SAMPLE is required (or --image DISK --os windows)");
        return false;
    }

    /// <summary>The launch of an image run (<see cref="Validate"/> said it is one); a bad --memory is a usage error.</summary>
    public DiskImageLaunch Launch(ParseResult parse, string? sample) => new()
    {
        Image = parse.GetValue(Image)!, Sample = sample, Profiles = parse.GetValue(Profiles),
        MemoryMiB = parse.GetValue(Memory) is { } m ? ParseMemory(m) : 4096,
    };

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
