using Alkanet.Introspection.Symbols;
using Alkanet.Introspection.TestKit.Boot;
using Alkanet.Vmm.Live;
using Alkanet.Vmm.Qemu;
using Alkanet.Ring;

namespace Alkanet.Vmm.Tests.Live;

/// <summary>The plugin's Windows mode through <see cref="TracedRun"/> with a <see cref="DiskImageLaunch"/> on the kit's bootable synthetic Windows
/// guest: the ring's control block (pause, process filter) is honoured as in Linux mode, and the ring carries the
/// discovery result.</summary>
public sealed class DiskImageRunTests
{
    private static readonly Lazy<SyntheticWindowsBootDisk> Boot = new(() =>
        SyntheticWindowsBootDisk.Build(new ProfileStore(Path.Combine(Path.GetTempPath(), "alkanet-no-such-profiles")).LoadDefault()));

    private static TracedRunResult Run(Action<TraceRing> onRingReady)
    {
        LiveGuest.Require();
        QemuInstallation.Ovmf();
        var dir = LiveGuest.NewOutputDirectory("windows-image");
        var disk = Path.Combine(dir, "disk.img");
        Boot.Value.WriteDiskImage(disk);
        var r = TracedRun.Execute(new TracedRunOptions
        {
            Launch = new DiskImageLaunch { Image = disk, MemoryMiB = 512 }, OutDirectory = Path.Combine(dir, "out"),
            Timeout = TimeSpan.FromMinutes(3),
            OnRingReady = onRingReady,
        });
        r.Outcome.ShouldBe(RunOutcome.PoweredOff, r.Detail);
        r.KernelFound.ShouldBeTrue(r.Discovery);
        r.KernelBase.ShouldBe(Boot.Value.Guest.KernelBase);
        r.PluginErrors.ShouldBe(0UL);
        r.Hits.ShouldBe((ulong)Boot.Value.ExpectedCalls.Sum(c => c.Returns ? 2 : 1)); // counted even when nothing is written
        return r;
    }

    [Fact]
    public void A_paused_ring_gets_no_records()
    {
        var r = Run(ring => ring.Paused = true);
        r.Records.ShouldBe(0);
        File.ReadAllText(r.TracePath).ShouldBeEmpty();
    }

    [Fact]
    public void The_process_filter_keeps_only_that_process()
    {
        var other = Run(ring => ring.FilterPid = SyntheticWindowsBootDisk.TargetPid); // notepad.exe makes no call
        other.Records.ShouldBe(0);
        var sample = Run(ring => ring.FilterPid = SyntheticWindowsBootDisk.SamplePid);
        sample.Records.ShouldBe((long)sample.Hits);
        var t = Trace.Load(sample.TracePath);
        t.Records.Count.ShouldBe((int)sample.Records);
        t.Records.ShouldAllBe(r => r.Pid == SyntheticWindowsBootDisk.SamplePid);
        t.ShouldBeGapFree();
        sample.Discovery.ShouldContain("ntoskrnl at 0x" + Boot.Value.Guest.KernelBase.ToString("x"));
    }
}
