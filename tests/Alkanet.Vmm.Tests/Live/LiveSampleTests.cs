using Alkanet.Vmm.Live;

namespace Alkanet.Vmm.Tests.Live;

/// <summary>End to end: each sample runs in the analysis guest under QEMU with the plugin, and its behaviour
/// appears in trace.jsonl with the right process and arguments.</summary>
public sealed class LiveSampleTests
{
    private static Trace RunOk(string sample, Func<TracedRunOptions, TracedRunOptions>? adjust = null)
    {
        var r = LiveGuest.Run(sample, adjust);
        r.Outcome.ShouldBe(RunOutcome.PoweredOff, r.Detail);
        r.SampleExitStatus.ShouldBe(0);
        r.PluginErrors.ShouldBe(0UL);
        r.Lost.ShouldBe(0);
        var t = Trace.Load(r.TracePath);
        t.Records.Count.ShouldBeGreaterThan(500);
        t.ShouldBeGapFree();
        t.Records.Select(x => x.CpuId).Distinct().Count().ShouldBe(2, "both vCPUs make calls");
        t.Records.ShouldAllBe(x => x.ProcSeq != null);
        return t;
    }

    [Fact]
    public void Dropper_writes_marks_and_runs_its_payload()
    {
        var t = RunOk("dropper");
        var open = t.Find("run", "openat", ("path", "/tmp/payload.sh"), ("flags_names", "O_WRONLY|O_CREAT|O_TRUNC"), ("mode", "644"));
        t.ExitOf(open)!.AdditionalInfo["fd_path"].ShouldBe("/tmp/payload.sh");
        t.Find("run", "write", ("fd_path", "/tmp/payload.sh"), ("size", "2e"));
        t.Find("run", "chmod", ("path", "/tmp/payload.sh"), ("mode", "755"));
        var fork = t.Find("run", "clone");
        var child = t.ExitOf(fork)!.AdditionalInfo["new_pid"];
        child.ShouldNotBeNull();
        var exec = t.Records.First(r => r.IsExit && r.Name == "execve" && r.Pid.ToString("x") == child);
        exec.AdditionalInfo["command_line"].ShouldBe("/bin/sh /tmp/payload.sh --stage 2");
        t.Records.ShouldContain(r => r.IsExit && r.Pid.ToString("x") == child && r.AdditionalInfo["unpaired"] == "fork_child");
        var payload = t.Find("payload.sh", "openat", ("path", "/tmp/payload.out"));
        payload.ProcSeq.ShouldNotBe(open.ProcSeq, "the payload runs in a new process lifetime");
    }

    [Fact]
    public void Persistence_writes_a_crontab_and_an_rc_file()
    {
        var t = RunOk("persistence");
        t.Find("run", "mkdir", ("path", "/var/spool/cron/crontabs"), ("mode", "730"));
        t.Find("run", "write", ("fd_path", "/var/spool/cron/crontabs/root"));
        t.Find("run", "openat", ("path", "/etc/rc.local"), ("flags_names", "O_WRONLY|O_CREAT|O_APPEND"));
        t.Find("run", "chmod", ("path", "/etc/rc.local"), ("mode", "755"));
    }

    [Fact]
    public void Injector_attaches_pokes_and_writes_another_process()
    {
        var t = RunOk("injector");
        var victim = t.ExitOf(t.Find("run", "clone"))!.AdditionalInfo["new_pid"]!;
        t.Find("run", "ptrace", ("request_name", "PTRACE_ATTACH"), ("target_pid", victim));
        t.Find("run", "ptrace", ("request_name", "PTRACE_POKEDATA"), ("target_pid", victim), ("data", "4242"));
        t.Find("run", "process_vm_writev", ("target_pid", victim), ("size", "18")); // "ALKANET-INJECTED-PAYLOAD", 24 bytes
        t.Find("run", "kill", ("target_pid", victim), ("signal_name", "SIGKILL"));
    }

    [Fact]
    public void Self_deleter_copies_itself_and_unlinks_the_copy()
    {
        var t = RunOk("selfdelete");
        t.Find("run", "openat", ("path", "/proc/self/exe"));
        t.Find("run", "write", ("fd_path", "/tmp/.hidden"));
        t.Find(".hidden", "unlink", ("path", "/tmp/.hidden"));
    }

    [Fact]
    public void Beacon_connects_to_its_listener()
    {
        var t = RunOk("beacon");
        t.Find("run", "socket", ("family", "AF_INET"));
        t.Find("run", "bind", ("local_address", "127.0.0.1:4444"));
        t.Find("run", "connect", ("remote_address", "127.0.0.1:4444"), ("fd_path", "sockfs:"));
        t.Find("run", "sendto", ("size", "19"));
    }

    [Fact]
    public void Anti_analysis_probe_checks_for_a_tracer_renames_itself_and_sleeps()
    {
        var t = RunOk("antianalysis");
        t.Find("run", "ptrace", ("request_name", "PTRACE_TRACEME"));
        t.Find("run", "prctl", ("option_name", "PR_SET_NAME"), ("name", "kworker"));
        t.Find("kworker", "clock_nanosleep", ("seconds", "2"));
    }

    [Fact]
    public void Int80_dropper_calls_through_the_32_bit_entry_are_named_and_decoded()
    {
        var t = RunOk("int80");
        (string, string) ia32 = ("abi", "ia32");
        var open = t.Find("run", "open", ia32, ("path", "/tmp/i386-payload.sh"), ("flags_names", "O_WRONLY|O_CREAT|O_TRUNC"), ("mode", "644"));
        open.SysNo.ShouldBe(5UL, "the i386 number, not x86-64's");
        var openExit = t.ExitOf(open)!;
        openExit.AdditionalInfo["abi"].ShouldBe("ia32");
        openExit.AdditionalInfo["fd_path"].ShouldBe("/tmp/i386-payload.sh");
        var fd = openExit.AdditionalInfo["out_handle"]!;
        var write = t.Find("run", "write", ia32, ("fd", fd), ("fd_path", "/tmp/i386-payload.sh"), ("size", "38"));
        write.SysNo.ShouldBe(4UL);
        t.Find("run", "close", ia32, ("fd", fd));
        t.Find("run", "chmod", ia32, ("path", "/tmp/i386-payload.sh"), ("mode", "755")).SysNo.ShouldBe(15UL);
        t.Find("run", "creat", ia32, ("path", "/tmp/i386-marker"), ("mode", "600")).SysNo.ShouldBe(8UL);
        t.Find("run", "mmap", ia32, ("size", "2000"), ("prot_names", "PROT_READ|PROT_WRITE")).SysNo.ShouldBe(90UL);
        t.Find("run", "mmap2", ia32, ("size", "3000"), ("prot_names", "PROT_READ|PROT_WRITE|PROT_EXEC")).SysNo.ShouldBe(192UL);
        var socket = t.Find("run", "socket", ia32, ("via", "socketcall"), ("family", "AF_INET"));
        socket.SysNo.ShouldBe(102UL);
        var sfd = t.ExitOf(socket)!.AdditionalInfo["out_handle"]!;
        var connect = t.Find("run", "connect", ia32, ("via", "socketcall"), ("fd", sfd), ("remote_address", "127.0.0.1:4445"), ("fd_path", "sockfs:"));
        t.ExitOf(connect)!.RetVal.ShouldBe(0UL);
        var fork = t.Find("run", "fork", ia32);
        fork.SysNo.ShouldBe(2UL);
        var child = t.ExitOf(fork)!.AdditionalInfo["new_pid"];
        child.ShouldNotBeNull();
        t.Records.ShouldContain(r => r.IsExit && r.Pid.ToString("x") == child && r.Name == "fork" && r.AdditionalInfo["unpaired"] == "fork_child"
            && r.AdditionalInfo["abi"] == "ia32", "the child's first return is named by TS_COMPAT, not as x86-64 call 2 (open)");
        // argv as the child passed it (u32 pointers), or, when its pages were not mapped at ENTER, the new image's (#! adds /bin/sh)
        t.Records.ShouldContain(r => r.Name == "execve" && r.Pid.ToString("x") == child && r.AdditionalInfo["abi"] == "ia32"
            && (r.AdditionalInfo["command_line"] ?? "").EndsWith("/tmp/i386-payload.sh --stage 2", StringComparison.Ordinal));
        t.Records.ShouldNotContain(r => r.ProcName == "run" && r.AdditionalInfo["abi"] == "ia32" && r.Name.StartsWith("unknown_"));
    }

    [Fact]
    public void Uefi_boot_through_OVMF_finds_the_KASLR_slide_and_traces()
    {
        var r = LiveGuest.Run("injector", o => o with { Launch = (AnalysisGuestLaunch)o.Launch with { Firmware = Qemu.Firmware.Uefi } });
        r.Outcome.ShouldBe(RunOutcome.PoweredOff, r.Detail);
        r.Slide.ShouldNotBe(0UL, "the EFI-stub kernel randomises its base; the plugin found it by the site bytes");
        var t = Trace.Load(r.TracePath);
        t.ShouldBeGapFree();
        t.Find("run", "ptrace", ("request_name", "PTRACE_POKEDATA"));
    }
}
