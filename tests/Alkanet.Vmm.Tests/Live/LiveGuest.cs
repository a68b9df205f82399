using Alkanet.Vmm.Guest;
using Alkanet.Vmm.Host;
using Alkanet.Vmm.Live;
using Alkanet.Vmm.Qemu;

namespace Alkanet.Vmm.Tests.Live;

/// <summary>The prerequisites of the live tests (QEMU >= 10, the fetched kernel, busybox-static, gcc), prepared
/// once: the cached guest, its profile and the published plugin. Missing ones skip a test locally and fail it
/// under CI=true.</summary>
public sealed class LiveGuest
{
    private static readonly Lazy<(AnalysisGuest? Guest, string? Why)> Prepared = new(() =>
    {
        try
        {
            var g = AnalysisGuest.Prepare(QemuInstallation.Find());
            PluginLocator.Locate();
            return (g, null);
        }
        catch (PrerequisiteMissingException e)
        {
            return (null, e.Message);
        }
    });

    public static AnalysisGuest Require()
    {
        var (guest, why) = Prepared.Value;
        if (guest is not null) return guest;
        if (Environment.GetEnvironmentVariable("CI") == "true") Assert.Fail("live-tracing prerequisite missing under CI: " + why);
        Assert.Skip("live-tracing prerequisite missing: " + why);
        return null!;
    }

    /// <summary>Every run's output folder lives under one folder per test process, removed when it exits.</summary>
    private static readonly Lazy<string> OutputRoot = new(() =>
    {
        var root = Directory.CreateTempSubdirectory($"alkanet-vmm-tests-{Environment.ProcessId}-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(root, true); } catch (IOException) { } };
        return root;
    });

    public static string NewOutputDirectory(string name) => Directory.CreateDirectory(Path.Combine(OutputRoot.Value, $"{name}-{Guid.NewGuid():N}")).FullName;

    public static string Repo => AlkanetPaths.RepositoryRoot() ?? throw new InvalidOperationException("tests must run inside the repository");

    /// <summary>The name every sample runs under in these tests (its process name in the records).</summary>
    public const string SampleProcess = "run";

    public static TracedRunResult Run(string sample, Func<TracedRunOptions, TracedRunOptions>? adjust = null, byte[]? bytes = null, TimeSpan? timeout = null)
    {
        Require();
        var (_, content) = bytes is null ? SampleBuilder.Load(Path.Combine(Repo, "samples", sample)) : (sample, bytes);
        var o = new TracedRunOptions
        {
            // The tracing tests find the sample's calls as process "run" whatever the sample's file is called; a sample keeping
            // its own name in the guest is SampleNameTests' and the CLI's live report tests' concern.
            Launch = new AnalysisGuestLaunch { SampleName = SampleProcess, Sample = content }, Timeout = timeout ?? TimeSpan.FromSeconds(90),
            OutDirectory = NewOutputDirectory(sample),
            OnStarted = pid => LastQemuPid = pid,
        };
        if (adjust is not null) o = adjust(o);
        var r = TracedRun.Execute(o);
        AssertNoOrphan(LastQemuPid);
        return r;
    }

    [ThreadStatic] private static int t_lastQemuPid;

    public static int LastQemuPid { get => t_lastQemuPid; set => t_lastQemuPid = value; }

    public static void AssertNoOrphan(int pid)
    {
        if (pid == 0) return;
        for (var i = 0; i < 50 && Directory.Exists($"/proc/{pid}") && !IsZombie(pid); i++) Thread.Sleep(100);
        (Directory.Exists($"/proc/{pid}") && !IsZombie(pid)).ShouldBeFalse($"QEMU (pid {pid}) still runs after the run ended");
    }

    private static bool IsZombie(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2] == "Z"; }
        catch (IOException) { return false; }
    }
}
