using Alkanet.Introspection.Hooks;
using Alkanet.Core.Records;
using Alkanet.Introspection.Cpu;
using Alkanet.Introspection.Linux;
using Alkanet.Introspection.TestKit;
using Alkanet.Vmm.Gdb;
using Alkanet.Vmm.Tests.Gdb.Fakes;
using static Alkanet.Vmm.Tests.Gdb.GdbTestKit;

namespace Alkanet.Vmm.Tests.Gdb;

/// <summary>The Linux profile behind the gdbstub: the Linux tracer's synthetic guest (a randomised kernel: its code at
/// a KASLR slide) served by the fake stub. Discovery finds the slide over 'm' reads and refuses a profile of another
/// kernel; a call entered on vCPU 0 and returning on vCPU 1 pairs.</summary>
public sealed class LinuxGdbDecoderTests
{
    private const ulong Slide = 0x1a00000; // 13 × 2 MiB
    private const ulong Task1 = 0xffff888001000000;

    private static LinuxProfile Profile()
    {
        var p = SyntheticLinuxGuest.Profile();
        p.Sites.Add(new LinuxLinkSite(SiteKind.Enter32, "ia32_sys_call", 0xffffffff81005630, [0x41, 0x54, 0x55, 0x48, 0x89, 0xfd, 0x53, 0x89, 0xf3, 0x48, 0x83, 0xec]));
        return p;
    }

    /// <summary>The synthetic guest with the profile's site code (ftrace NOP + fingerprint) placed at link address + slide.</summary>
    private static SyntheticLinuxGuest Guest(LinuxProfile profile, ulong slide)
    {
        var g = new SyntheticLinuxGuest();
        foreach (var s in profile.Sites) g.Write(s.LinkAddress + slide, [.. GdbClient.FtraceNop, .. s.Fingerprint]);
        g.Task(Task1, 0x61, 0x60, "dropper");
        g.Str(0x400000, "/tmp/payload.sh");
        g.PtRegs(257, unchecked((ulong)-100), 0x400000, 0x241, 0x1a4);
        g.Return(3);
        return g;
    }

    private static VcpuState At(ulong rip, ulong rsi = 0) =>
        new() { Rip = rip, Rsi = rsi, Rdi = SyntheticLinuxGuest.Regs, Cs = 0x10, Cr3 = 0x5000, GsBase = SyntheticLinuxGuest.GsBase };

    [Fact]
    public void Finds_the_slide_and_pairs_a_call_returning_on_another_vCPU()
    {
        var profile = Profile();
        var guest = Guest(profile, Slide);
        var target = new FakeGdbTarget { MemoryOf = _ => guest };
        for (var i = 0; i < target.Cpus.Count; i++) target.Cpus[i] = target.Cpus[i] with { GsBase = SyntheticLinuxGuest.GsBase };
        var enter = profile.Site(SiteKind.Enter).LinkAddress + Slide;
        var exit = profile.Site(SiteKind.Exit).LinkAddress + Slide;
        target.Script.Enqueue(new ScriptedHit(0, At(enter, 257)));
        target.Script.Enqueue(new ScriptedHit(1, At(exit)));
        using var server = new FakeRspServer(target);
        var (client, sent) = Connect(server);
        using var _c = client;

        var decoder = new LinuxOs(profile, "synthetic.txt");
        var found = GdbAttach.Discover(client, decoder);
        decoder.Slide.ShouldBe(Slide);
        found.Sites.Select(s => (s.Address, s.Kind, s.Name)).ShouldBe(
        [
            (enter, SiteKind.Enter, "x64_sys_call"), (exit, SiteKind.Exit, "syscall_exit_to_user_mode_prepare"),
            (profile.Site(SiteKind.Enter32).LinkAddress + Slide, SiteKind.Enter32, "ia32_sys_call"),
        ]);
        found.Notes.ShouldContain(n => n.StartsWith("KASLR slide 0x1a00000 (x64_sys_call at 0xffffffff82a03320, found through vCPU 0)", StringComparison.Ordinal));
        found.Notes.ShouldContain(n => n.StartsWith("profile synthetic.txt: release synthetic", StringComparison.Ordinal));
        found.Warnings.ShouldBeEmpty();

        var sink = new ListSink();
        var summary = new GdbSyscallTracer(client, decoder, sink).Run();
        summary.Hits.ShouldBe(2);
        sink.Records.Count.ShouldBe(2);
        var (e, x) = (sink.Records[0], sink.Records[1]);
        e.LogType.ShouldBe(LogType.Enter);
        (e.Name, e.Pid, e.Tid, e.ProcName, e.CpuId).ShouldBe(("openat", 0x60UL, 0x61UL, "dropper", 0));
        e.AdditionalInfo["path"].ShouldBe("/tmp/payload.sh");
        x.LogType.ShouldBe(LogType.Exit);
        (x.Name, x.SysNo, x.RetVal, x.Pid, x.CpuId).ShouldBe(("openat", 257UL, 3UL, 0x60UL, 1));
        x.AdditionalInfo["unpaired"].ShouldBeNull();
        decoder.Tracer.PendingCount.ShouldBe(0);
        // No write but the verified RIP steps (both sites start with the NOP).
        sent.Where(IsWritePacket).ShouldAllBe(p => p.StartsWith("P10=", StringComparison.Ordinal));
        summary.RipSteps.ShouldBe(2);
        server.Received.Where(IsWritePacket).Count().ShouldBe(2);
    }

    [Fact]
    public void A_profile_of_another_kernel_is_refused_naming_what_did_not_match()
    {
        var profile = Profile();
        var guest = Guest(profile, Slide);
        guest.Write(profile.Site(SiteKind.Exit).LinkAddress + Slide + 5, [0xcc, 0xcc]); // the EXIT's code differs
        var target = new FakeGdbTarget { MemoryOf = _ => guest };
        using var server = new FakeRspServer(target);
        var (client, sent) = Connect(server);
        using var _c = client;
        var ex = Should.Throw<InvalidOperationException>(() => GdbAttach.Discover(client, new LinuxOs(profile, "other.txt")));
        ex.Message.ShouldContain("not the one of the Linux profile other.txt (release synthetic)");
        ex.Message.ShouldContain("syscall_exit_to_user_mode_prepare's code at 0xffffffff82b46800 does not");
        sent.Where(IsWritePacket).ShouldBeEmpty();
    }

    [Fact]
    public void No_matching_code_at_any_slide_names_the_options_and_writes_nothing()
    {
        var profile = Profile();
        var guest = new SyntheticLinuxGuest(); // no kernel code anywhere
        var target = new FakeGdbTarget { MemoryOf = _ => guest };
        using var server = new FakeRspServer(target);
        var (client, sent) = Connect(server);
        using var _c = client;
        var ex = Should.Throw<InvalidOperationException>(() => GdbAttach.Discover(client, new LinuxOs(profile, "p.txt")));
        ex.Message.ShouldContain("at no 2 MiB-aligned KASLR slide under 1 GiB");
        ex.Message.ShouldContain("--vmlinux FILE --kallsyms FILE");
        sent.Count(p => p.StartsWith('m')).ShouldBe(2 * 512); // every slide, through both vCPUs (both in the kernel)
        sent.Where(IsWritePacket).ShouldBeEmpty();
    }

    [Fact]
    public void Profile_resolution_names_the_file_and_line_or_how_to_build_one()
    {
        var dir = Directory.CreateTempSubdirectory("alkanet-linuxprofiles-").FullName;
        try
        {
            var none = Should.Throw<InvalidOperationException>(() => LinuxProfileSource.Resolve(null, null, null, dir));
            none.Message.ShouldContain("no Linux profile");
            none.Message.ShouldContain("scripts/setup.sh");
            none.Message.ShouldContain("--profile FILE");

            var bad = Path.Combine(dir, "bad.txt");
            File.WriteAllText(bad, "release x\ncurrent_task zz\n");
            Should.Throw<InvalidOperationException>(() => LinuxProfileSource.Resolve(bad, null, null, null)).Message.ShouldContain($"{bad}:2:");
            Should.Throw<InvalidOperationException>(() => LinuxProfileSource.Resolve(Path.Combine(dir, "missing.txt"), null, null, null)).Message.ShouldContain("no such file");
            Should.Throw<InvalidOperationException>(() => LinuxProfileSource.Resolve(null, "vmlinux", null, null)).Message.ShouldContain("go together");

            // A profile in the cache is the default.
            var good = Profile();
            good.Save(Path.Combine(dir, "profile.txt"));
            var (loaded, source) = LinuxProfileSource.Resolve(null, null, null, dir);
            source.ShouldBe(Path.Combine(dir, "profile.txt"));
            loaded.Site(SiteKind.Enter).LinkAddress.ShouldBe(good.Site(SiteKind.Enter).LinkAddress);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
