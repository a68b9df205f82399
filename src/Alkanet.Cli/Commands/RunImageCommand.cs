using System.CommandLine;
using System.Globalization;
using Alkanet.Vmm.Guest;
using Alkanet.Vmm.Live;

namespace Alkanet.Cli.Commands;

/// <summary>The options of <c>alkanet run</c> that boot a user's own disk image instead of the Linux analysis guest.</summary>
internal sealed class RunImageOptions
{
    public Option<string?> Image { get; } = new("--image") { Description = "Boot this disk image (raw, qcow2, vmdk, vhdx, vdi) instead of the Linux analysis guest; it is never written (snapshot=on). Needs --os windows.", HelpName = "DISK" };
    public Option<string?> Os { get; } = new("--os") { Description = "The image's OS: windows (Windows 10 x64, booted through OVMF). linux is the built-in analysis guest (no --image)." };
    public Option<string?> Memory { get; } = new("--memory") { Description = "Guest RAM with --image (e.g. 4G, 2048M; plain numbers are MiB). Default 4G.", HelpName = "SIZE" };
    public Option<string?> Profiles { get; } = new("--profiles") { Description = "With --image: the folder of Windows symbol tables (ISF) the hook searches, besides the embedded one. Default: alkanet profile's folder.", HelpName = "DIR" };

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
                throw new UsageException("--os linux with --image is not supported: tracing your own Linux image is not implemented; 'alkanet run SAMPLE' traces the built-in Linux analysis guest");
            return true;
        }
        if (os == "windows") throw new UsageException("--os windows needs --image DISK (your Windows 10 x64 image): Alkanet has no built-in Windows guest");
        if (parse.GetValue(Memory) is not null || parse.GetValue(Profiles) is not null) throw new UsageException("--memory and --profiles apply to --image runs only");
        if (sample is null) throw new UsageException("SAMPLE is required (or --image DISK --os windows)");
        return false;
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

/// <summary><c>alkanet run --image DISK --os windows [SAMPLE]</c>.</summary>
internal static class RunImageCommand
{
    public sealed record Common(string? Sample, string? OutDir, TimeSpan Timeout, int Cpus, bool Network, bool DropWhenFull, bool AllArgs,
        bool NoReport, bool Untraced, string PluginExtra, TimeSpan? LongSleep, string? Logger, string? Token, string? RunId, bool LossMarkers, bool WaitForStart);

    public static int Run(ParseResult parse, RunImageOptions options, Common c)
    {
        var output = parse.InvocationConfiguration.Output;
        var error = parse.InvocationConfiguration.Error;
        var image = parse.GetValue(options.Image)!;
        var memory = parse.GetValue(options.Memory) is { } m ? RunImageOptions.ParseMemory(m) : 4096;
        RunLoggerLink? link = null;
        try
        {
            if (!File.Exists(image)) throw new CommandFailedException($"the disk image {Path.GetFullPath(image)} does not exist");
            var name = Path.GetFileNameWithoutExtension(Path.GetFullPath(c.Sample ?? image).TrimEnd('/'));
            var dir = c.OutDir ?? Path.Combine("out", $"run-{name}-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
            if (c.Logger is not null)
            {
                var id = c.RunId ?? Path.GetFileName(Path.GetFullPath(dir).TrimEnd('/'));
                link = RunCommands.ConnectLogger(c.Logger, c.Token!, id, c.LossMarkers, c.WaitForStart, error);
            }
            var result = WindowsImageRun.Execute(new WindowsImageRunOptions
            {
                Image = image, Sample = c.Sample, OutDirectory = dir, Timeout = c.Timeout, MemoryMiB = memory, Cpus = c.Cpus,
                Network = c.Network, Profiles = parse.GetValue(options.Profiles), DropWhenFull = c.DropWhenFull, AllArgs = c.AllArgs, Traced = !c.Untraced, PluginExtra = c.PluginExtra,
                ExtraSinks = link is null ? [] : [link],
                RecordFilter = link is null ? null : link.Keep,
                OnRingReady = link is null ? null : link.Attach,
                OnRingClosing = link is null ? null : link.Detach,
                Stop = link?.StopRequested ?? default,
            }, msg => error.WriteLine(msg));
            error.WriteLine($"alkanet: windows: {result.Discovery}");
            output.WriteLine($"{result.TracePath}: {result.Records} records ({result.Lost} lost{(result.Filtered > 0 ? $", {result.Filtered} left out by the logger's filter" : "")}), " +
                $"outcome {result.Outcome}, kernel {(result.KernelFound ? $"found at 0x{result.KernelBase:x}" : "not found")}, " +
                $"{result.DiscoveryAttempts} discovery attempt(s), {result.Hits} hook hits, wall {result.WallSeconds:0.0} s");
            var loggerOk = link is null || RunCommands.CloseLogger(link, output, error);
            var reportOk = WriteReport(result, c, output, error);
            if (result.Outcome == RunOutcome.Stopped)
            {
                error.WriteLine("alkanet: the logger stopped the run; QEMU was stopped after the ring was drained (run marked incomplete)");
                return loggerOk ? ExitCodes.Ok : ExitCodes.Failure;
            }
            if (!c.Untraced && !result.PluginStarted)
            {
                error.WriteLine($"alkanet: {result.Discovery}");
                return ExitCodes.Failure;
            }
            if (result.Complete) return loggerOk && reportOk && (c.Untraced || result.KernelFound) ? ExitCodes.Ok : ExitCodes.Failure;
            error.WriteLine(result.Outcome switch
            {
                RunOutcome.Timeout => $"alkanet: the guest did not power off within {c.Timeout.TotalSeconds:0} s; QEMU was stopped (run marked incomplete; the trace holds what ran)",
                _ => $"alkanet: QEMU ended with exit code {result.QemuExitCode} (run marked incomplete). {result.Detail}",
            });
            return ExitCodes.Failure;
        }
        catch (PrerequisiteMissingException e)
        {
            throw new CommandFailedException(e.Message);
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or TimeoutException or InvalidOperationException or UnauthorizedAccessException)
        {
            throw new CommandFailedException(e.Message);
        }
        finally
        {
            link?.Client.Dispose();
        }
    }

    /// <summary>The meta sidecar and the report, as the Linux run writes them; only with a sample (the report is about it).</summary>
    private static bool WriteReport(WindowsImageRunResult result, Common c, TextWriter output, TextWriter error)
    {
        if (result.SampleProcessName is null || result.Records == 0) return true;
        RunReportWriter.WriteMeta(result.TracePath, result.SampleProcessName);
        return c.NoReport || RunReportWriter.WriteAndPrint(result.TracePath, c.LongSleep, output, error);
    }
}
