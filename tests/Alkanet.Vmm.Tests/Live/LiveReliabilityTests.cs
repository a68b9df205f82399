using System.Diagnostics;
using Alkanet.Introspection.Memory;
using System.Text;
using Alkanet.Introspection.Linux;
using Alkanet.Vmm.Guest;
using Alkanet.Vmm.Host;
using Alkanet.Vmm.Live;
using Alkanet.Vmm.Qemu;

namespace Alkanet.Vmm.Tests.Live;

/// <summary>Runs that go wrong: each ends with a flushed, gap-free log, the right outcome, and no QEMU left behind.</summary>
public sealed class LiveReliabilityTests
{
    private static byte[] Script(string body) => Encoding.ASCII.GetBytes("#!/bin/sh\n" + body + "\n");

    private static TracedRunOptions With(TracedRunOptions o, TimeSpan? timeout = null, bool? drop = null, int? slots = null, TimeSpan? delay = null,
        Action<int>? started = null) => o with
    {
        OnStarted = started ?? o.OnStarted, Timeout = timeout ?? o.Timeout, DropWhenFull = drop ?? o.DropWhenFull,
        RingSlots = slots ?? o.RingSlots, DrainDelay = delay ?? o.DrainDelay,
    };

    [Fact]
    public void A_sample_that_never_exits_is_stopped_at_the_timeout()
    {
        var r = LiveGuest.Run("sleeper", o => With(o, timeout: TimeSpan.FromSeconds(8)), Script("sleep 1000"));
        r.Outcome.ShouldBe(RunOutcome.Timeout);
        r.Complete.ShouldBeFalse();
        var t = Trace.Load(r.TracePath);
        t.ShouldBeGapFree();
        t.Records.ShouldContain(x => x.Name == "clock_nanosleep" || x.Name == "nanosleep");
    }

    [Fact]
    public void QEMU_killed_mid_run_leaves_a_flushed_log_marked_incomplete()
    {
        TracedRunOptions? options = null;
        var r = LiveGuest.Run("busy", o => options = With(o, started: pid =>
        {
            LiveGuest.LastQemuPid = pid;
            var console = Path.Combine(options!.OutDirectory, "console.log");
            _ = Task.Run(() =>
            {   // kill QEMU one second into the sample, as an outside event would
                for (var i = 0; i < 600 && !(File.Exists(console) && File.ReadAllText(console).Contains("ALKANET-SAMPLE-START", StringComparison.Ordinal)); i++)
                    Thread.Sleep(100);
                Thread.Sleep(1000);
                try { Process.GetProcessById(pid).Kill(); } catch (ArgumentException) { }
            });
        }), Script("while true; do cat /proc/uptime > /dev/null; done"));
        r.Outcome.ShouldBe(RunOutcome.QemuDied);
        r.Complete.ShouldBeFalse();
        var t = Trace.Load(r.TracePath);
        t.Records.Count.ShouldBeGreaterThan(100);
        t.ShouldBeGapFree();
        File.ReadAllText(Path.Combine(Path.GetDirectoryName(r.TracePath)!, "run.json")).ShouldContain("\"complete\": false");
    }

    [Fact]
    public void A_guest_kernel_panic_is_detected_and_reported()
    {
        var r = LiveGuest.Run("panic", null, Script("echo c > /proc/sysrq-trigger"));
        r.Outcome.ShouldBe(RunOutcome.KernelPanic);
        r.Detail.ShouldContain("Kernel panic");
        Trace.Load(r.TracePath).ShouldBeGapFree();
    }

    [Fact]
    public void A_full_ring_in_drop_mode_logs_LOSS_records_with_the_range_never_a_silent_gap()
    {
        var r = LiveGuest.Run("dropper", o => With(o, drop: true, slots: 8, delay: TimeSpan.FromMilliseconds(20)));
        r.Outcome.ShouldBe(RunOutcome.PoweredOff, r.Detail);
        r.Lost.ShouldBeGreaterThan(0);
        var t = Trace.Load(r.TracePath);
        t.ShouldBeGapFree();
        var loss = t.Records.Where(x => x.LogType == Core.Records.LogType.Loss).ToList();
        loss.ShouldNotBeEmpty();
        loss.Sum(x => long.Parse(x.AdditionalInfo["count"]!)).ShouldBe(r.Lost);
        loss[0].AdditionalInfo["reason"].ShouldBe("ring_full");
    }

    [Fact]
    public void A_full_ring_by_default_slows_the_guest_and_loses_nothing()
    {
        var r = LiveGuest.Run("dropper", o => With(o, slots: 8, delay: TimeSpan.FromMilliseconds(5)));
        r.Outcome.ShouldBe(RunOutcome.PoweredOff, r.Detail);
        r.Lost.ShouldBe(0);
        r.Stalls.ShouldBeGreaterThan(0UL);
        var t = Trace.Load(r.TracePath);
        t.ShouldBeGapFree();
        t.Find("run", "chmod", ("path", "/tmp/payload.sh"));
    }

    [Fact]
    public void The_control_block_pauses_recording_and_filters_by_process()
    {
        var paused = LiveGuest.Run("dropper", o => o with { OnRingReady = ring => ring.Paused = true });
        paused.Outcome.ShouldBe(RunOutcome.PoweredOff, paused.Detail);
        paused.Hits.ShouldBeGreaterThan(1000UL);
        paused.Records.ShouldBe(0);
        var init = LiveGuest.Run("dropper", o => o with { OnRingReady = ring => ring.FilterPid = 1 });
        init.Outcome.ShouldBe(RunOutcome.PoweredOff, init.Detail);
        var t = Trace.Load(init.TracePath);
        t.Records.Count.ShouldBeGreaterThan(50);
        t.Records.ShouldAllBe(r => r.Pid == 1UL);
        t.ShouldBeGapFree();
    }

    [Fact]
    public void An_untraced_boot_runs_the_same_guest_without_the_plugin()
    {
        var r = LiveGuest.Run("dropper", o => o with { Traced = false });
        r.Outcome.ShouldBe(RunOutcome.PoweredOff, r.Detail);
        r.Records.ShouldBe(0);
    }

    [Fact]
    public void Hostile_arguments_never_disturb_QEMU_or_the_hook()
    {
        LiveGuest.Require();
        var source = Path.Combine(LiveGuest.Repo, "tests/Alkanet.Vmm.Tests/Fixtures/hostile.c");
        var (_, bytes) = SampleBuilder.Load(source);
        var r = LiveGuest.Run("hostile", null, bytes);
        r.Outcome.ShouldBe(RunOutcome.PoweredOff, r.Detail);
        r.SampleExitStatus.ShouldBe(0);
        r.PluginErrors.ShouldBe(0UL);
        var t = Trace.Load(r.TracePath);
        t.ShouldBeGapFree();
        t.Find("run", "openat", ("path", "<unreadable@deadbeef>"));
        t.Find("run", "open", ("path", new string('A', GuestReader.MaxPathBytes)));
        // int 0x80 goes through ia32_sys_call: named from the i386 table (20 is getpid there), paired with its EXIT
        var int80 = t.Records.First(x => x.IsEnter && x.ProcName == "run" && x.SysNo == 20 && x.Name == "getpid");
        int80.AdditionalInfo["abi"].ShouldBe("ia32");
        t.ExitOf(int80)!.RetVal.ShouldBe(int80.Pid);
        int80.Args.Length.ShouldBe(6);
        // a number past the table never reaches x64_sys_call: only its EXIT (-ENOSYS), labelled as such
        t.Records.ShouldContain(x => x.IsExit && x.Name == "unknown_3039" && x.RetVal == unchecked((ulong)-38) && x.AdditionalInfo["unpaired"] == "not_dispatched");
    }

    [Fact]
    public void A_missing_QEMU_is_one_clear_message_naming_the_install_command()
    {
        var e = Should.Throw<PrerequisiteMissingException>(() => QemuInstallation.Find("/nonexistent/qemu-system-x86_64"));
        e.Message.ShouldContain("qemu-system-x86_64");
        e.Message.ShouldContain("scripts/setup.sh");
    }

    [Fact]
    public void A_missing_kernel_is_one_clear_message_naming_the_install_command()
    {
        LiveGuest.Require();
        var empty = LiveGuest.NewOutputDirectory("nokernel");
        var e = Should.Throw<PrerequisiteMissingException>(() => AnalysisGuest.Prepare(QemuInstallation.Find(), null, empty));
        e.Message.ShouldContain("scripts/setup.sh");
        e.Message.ShouldContain("kernel");
    }
}
