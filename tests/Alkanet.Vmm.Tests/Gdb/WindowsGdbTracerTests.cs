using Alkanet.Introspection.Windows;
using Alkanet.Introspection.Hooks;
using Alkanet.Core.Records;
using Alkanet.Introspection.Memory;
using Alkanet.Introspection.TestKit;
using Alkanet.Vmm.Gdb;
using Alkanet.Vmm.Tests.Gdb.Fakes;
using static Alkanet.Vmm.Tests.Gdb.GdbTestKit;

namespace Alkanet.Vmm.Tests.Gdb;

/// <summary>The Windows profile of the gdbstub hook against a simulated stub serving a synthetic 1909 guest.</summary>
public sealed class WindowsGdbTracerTests
{
    [Fact]
    public void Attach_finds_the_kernel_from_the_idt_and_names_its_sites_build_and_table()
    {
        var w = new WindowsGdbGuest();
        using var server = new FakeRspServer(w.Target);
        var (client, sent) = Connect(server);
        using var _c = client;
        var decoder = new WindowsOs(WindowsGdbGuest.Profiles);
        var found = GdbAttach.Discover(client, decoder);

        decoder.Kernel!.KernelBase.ShouldBe(w.Guest.KernelBase);
        decoder.Kernel!.Build.ShouldBe(18363);
        decoder.Kernel!.Syscalls!.Exact.ShouldBeTrue();
        decoder.Kernel!.HookSites!.KvaShadow.ShouldBeFalse();
        found.Sites.ShouldBe([
            new HookSite(w.Guest.Symbol("KiSystemCall64"), SiteKind.Enter, "KiSystemCall64"),
            new HookSite(w.Guest.ExpectedReturnSite, SiteKind.Exit, $"KiSystemServiceCopyEnd+0x{SyntheticWindowsGuest.CallR10Offset + 3:x}"),
        ]);
        found.Notes.ShouldContain(n => n.Contains("E0093F3AEF15D58168B753C9488A4043-1") && n.Contains($"IDT at 0x{w.IdtBase:x}"));
        found.Notes.ShouldContain(n => n.Contains("build 18363") && n.Contains("KVA shadow off"));
        found.Warnings.ShouldContain(x => x.Contains("IDT vector 0"));
        found.Warnings.ShouldNotContain(x => x.Contains("hooked")); // the IDT handler is not mistaken for LSTAR
        // Discovery only read: the monitor was asked for 'info registers', nothing else.
        sent.Where(IsWritePacket).ShouldBeEmpty();
        sent.Where(p => p.StartsWith("qRcmd", StringComparison.Ordinal)).ShouldBe(["qRcmd," + RspCodec.ToHex("info registers")]);
    }

    [Fact]
    public void Under_kva_shadow_the_idt_shows_it_and_enter_is_hooked_after_the_cr3_switch()
    {
        var (w, scenario) = WindowsGdbGuest.Injection(new SyntheticGuestOptions { KvaShadow = true, Paging = PagingMode.FiveLevel, KernelBase = 0xFF7F_F804_5A00_0000UL });
        using var server = new FakeRspServer(w.Target);
        var (client, _) = Connect(server);
        using var _c = client;
        var decoder = new WindowsOs(WindowsGdbGuest.Profiles);
        var found = GdbAttach.Discover(client, decoder);
        decoder.Kernel!.HookSites!.KvaShadow.ShouldBeTrue();
        decoder.Kernel!.HookSites.Lstar.ShouldBe(w.Guest.Symbol("KiSystemCall64Shadow"));
        found.Sites[0].ShouldBe(new HookSite(w.Guest.Symbol("KiSystemServiceUser"), SiteKind.Enter, "KiSystemServiceUser"));
        found.Notes.ShouldContain(n => n.Contains("KVA shadow on"));

        var sink = new ListSink();
        new GdbSyscallTracer(client, decoder, sink, new GdbTracerOptions { MaxHits = 6 }).Run();
        var create = sink.Records[2];
        (create.Name, create.Pid, create.LogType).ShouldBe(("NtCreateFile", 0x21f4UL, LogType.Enter));
        create.AdditionalInfo["file_name"].ShouldBe(InjectionScenario.Figure2FileName);
        sink.Records[4].AdditionalInfo["target_pid"].ShouldBe("3e8");
        sink.Records[5].AdditionalInfo["out_handle"].ShouldBe(scenario.VictimHandle.ToString("x")); // EXIT paired: OUT parameter read
    }

    [Fact]
    public void Traces_the_injection_scenario_with_decoded_paired_gap_free_records_and_no_writes()
    {
        var (w, scenario) = WindowsGdbGuest.Injection();
        var hits = w.Hits;
        using var server = new FakeRspServer(w.Target);
        var (client, sent) = Connect(server);
        using var _c = client;
        var decoder = new WindowsOs(WindowsGdbGuest.Profiles);
        var found = GdbAttach.Discover(client, decoder);
        var sink = new ListSink();
        var summary = new GdbSyscallTracer(client, decoder, sink, new GdbTracerOptions { MaxHits = hits }).Run();
        client.Detach();

        summary.End.ShouldBe(GdbTraceEnd.HitLimit);
        summary.Records.ShouldBe(hits);
        var r = sink.Records;
        r.Select(x => x.No).ShouldBe(Enumerable.Range(1, hits).Select(i => (long)i));
        r.Select(x => x.Name).ShouldBe(InjectionScenario.Calls);
        r.Select(x => x.LogType).ShouldBe(Enumerable.Range(0, hits).Select(i => i % 2 == 0 ? LogType.Enter : LogType.Exit));
        r.ShouldAllBe(x => x.AdditionalInfo["unpaired"] == null); // every EXIT paired with its ENTER
        r.Take(2).ShouldAllBe(x => x.Pid == 0x3e8UL && x.Tid == 0x3ecUL && x.ProcName == "notepad.exe" && x.ParentPid == 0x1a0cUL);
        r.Skip(2).ShouldAllBe(x => x.Pid == 0x21f4UL && x.Tid == 0x21f8UL && x.ProcName == InjectionScenario.SampleName);
        r[0].AdditionalInfo["interval_100ns"].ShouldBe("-10000000");

        // Figure 2: NtCreateFile's ENTER.
        (r[2].SysNo, r[2].AdditionalInfo["desired_access"], r[2].AdditionalInfo["file_name"])
            .ShouldBe((0x55UL, "80100080", InjectionScenario.Figure2FileName));
        r[2].AdditionalInfo["desired_access_names"].ShouldBe("FILE_READ_ATTRIBUTES|SYNCHRONIZE|GENERIC_READ");
        r[3].RetVal.ShouldBe(0UL);

        // The victim is named by CLIENT_ID, then by its handle in the sample's table.
        r[4].AdditionalInfo["target_pid"].ShouldBe("3e8");
        r[5].AdditionalInfo["out_handle"].ShouldBe(scenario.VictimHandle.ToString("x"));
        r[6].AdditionalInfo["target_pid"].ShouldBe("3e8");
        (r[6].AdditionalInfo["base_address"], r[6].AdditionalInfo["size"]).ShouldBe(("20000000", "40"));
        (r[6].CpuId, r[7].CpuId).ShouldBe((0, 1)); // ENTER on vCPU 0, EXIT on vCPU 1: still paired
        r[7].AdditionalInfo["bytes_written"].ShouldBe("40");
        r[8].AdditionalInfo["target_pid"].ShouldBe("3e8");
        r[8].AdditionalInfo["start_address"].ShouldBe("20000000");
        r.ShouldAllBe(x => x.Cr3 != null && x.TimestampNs > 0);
        decoder.DecoderCount.ShouldBe(2);

        // The audit: Windows's entry and return sites hold no NOP, so every hit is a single step of that vCPU, and
        // nothing that writes reaches the stub.
        server.Breakpoints.ShouldBeEmpty();
        server.Detached.ShouldBeTrue();
        summary.RipSteps.ShouldBe(0);
        summary.SingleSteps.ShouldBe(hits);
        sent.Where(IsWritePacket).ShouldBeEmpty();
        server.Received.Where(IsWritePacket).ShouldBeEmpty();
        sent.Count(p => p.StartsWith("vCont;s:", StringComparison.Ordinal)).ShouldBe(hits);
        sent.Where(p => p.StartsWith('Z')).ShouldBe(found.Sites.Select(s => $"Z1,{s.Address:x},1"), ignoreOrder: true);
        client.Connection.Guard.AllowedRegisterWrites.ShouldBe(0);
        client.Connection.Guard.Refused.ShouldBe(0);
    }

    [Fact]
    public void An_unknown_kernel_fails_naming_its_pdb_and_the_import_command()
    {
        var w = new WindowsGdbGuest(new SyntheticGuestOptions { PdbGuid = "0123456789ABCDEF0123456789ABCDEF", PdbAge = 3 });
        using var server = new FakeRspServer(w.Target);
        var (client, sent) = Connect(server);
        using var _c = client;
        var ex = Should.Throw<InvalidOperationException>(() => GdbAttach.Discover(client, new WindowsOs(WindowsGdbGuest.Profiles)));
        ex.Message.ShouldContain("ntkrnlmp.pdb 0123456789ABCDEF0123456789ABCDEF-3");
        ex.Message.ShouldContain("alkanet profile import");
        sent.Where(IsWritePacket).ShouldBeEmpty();
    }

    [Fact]
    public void An_idt_that_leads_nowhere_is_a_clear_failure()
    {
        var w = new WindowsGdbGuest();
        w.Target.IdtBase = 0xFFFF_F800_0000_0000UL; // not mapped
        using var server = new FakeRspServer(w.Target);
        var (client, _) = Connect(server);
        using var _c = client;
        var ex = Should.Throw<InvalidOperationException>(() => GdbAttach.Discover(client, new WindowsOs(WindowsGdbGuest.Profiles)));
        ex.Message.ShouldContain("IDT at 0xfffff80000000000");
        ex.Message.ShouldContain("not readable");
    }

    /// <summary>A one-vCPU KVA-shadow guest stopped in user code: its CR3 maps neither the IDT nor the kernel.</summary>
    private static (WindowsGdbGuest Guest, Introspection.Cpu.VcpuState Kernel) StoppedInUserCode()
    {
        var w = new WindowsGdbGuest(new SyntheticGuestOptions { KvaShadow = true }, cpus: 1);
        var kernel = w.Target.Cpus[0];
        var userOnly = new PageTableBuilder(w.Guest.Physical);
        userOnly.MapNew(0x10000, 4096);
        var user = kernel;
        (user.Cs, user.Cr3, user.Rip, user.Rsp, user.GsBase, user.KernelGsBase) = (0x33, userOnly.Cr3(), 0x10000, 0x10800, 0, w.Guest.Kpcr);
        w.Target.Cpus[0] = user;
        return (w, kernel);
    }

    [Fact]
    public void A_vm_stopped_in_user_code_is_let_run_until_a_vcpu_is_in_the_kernel()
    {
        var (w, kernel) = StoppedInUserCode();
        w.Target.Script.Enqueue(new ScriptedHit(0, kernel)); // where the vCPU is when stopped again
        using var server = new FakeRspServer(w.Target);
        var (client, sent) = Connect(server);
        using var _c = client;
        var decoder = new WindowsOs(WindowsGdbGuest.Profiles);
        var found = GdbAttach.Discover(client, decoder);
        decoder.Kernel!.KernelBase.ShouldBe(w.Guest.KernelBase);
        found.Notes.ShouldContain(n => n.Contains("at stop 2"));
        sent.Count(p => p == "vCont;c").ShouldBe(1);
        client.IsRunning.ShouldBeFalse();
        sent.Where(IsWritePacket).ShouldBeEmpty();
    }

    [Fact]
    public void A_vm_that_stays_in_user_code_fails_after_the_attempts()
    {
        var (w, _) = StoppedInUserCode();
        using var server = new FakeRspServer(w.Target);
        var (client, sent) = Connect(server);
        using var _c = client;
        var ex = Should.Throw<InvalidOperationException>(() =>
            GdbAttach.Discover(client, new WindowsOs(WindowsGdbGuest.Profiles), new GdbAttachOptions { Attempts = 3 }));
        ex.Message.ShouldContain("every vCPU ran user code at each of 3 stops");
        ex.Message.ShouldContain("not readable in this address space");
        sent.Count(p => p == "vCont;c").ShouldBe(2);
        client.IsRunning.ShouldBeFalse();
        // Only the attach stop scanned (the IDT read failed at once); the retries read registers and nothing else.
        sent.Count(p => p.StartsWith('m')).ShouldBe(1);
    }

    [Fact]
    public void Without_kva_shadow_a_vcpu_in_user_code_is_enough()
    {
        var w = new WindowsGdbGuest(cpus: 1);
        var process = w.Guest.AddProcess(0x500, "busy.exe", 4, null, null);
        var s = w.Target.Cpus[0];
        (s.Cs, s.Cr3, s.Rip, s.GsBase, s.KernelGsBase) = (0x33, process.Tables.Cr3(), 0x7FF6_0000_1000, 0x7FF7_0000_0000, w.Guest.Kpcr);
        w.Target.Cpus[0] = s;
        using var server = new FakeRspServer(w.Target);
        var (client, sent) = Connect(server);
        using var _c = client;
        var decoder = new WindowsOs(WindowsGdbGuest.Profiles);
        var found = GdbAttach.Discover(client, decoder);
        decoder.Kernel!.KernelBase.ShouldBe(w.Guest.KernelBase);
        found.Notes.ShouldNotContain(n => n.Contains("at stop"));
        sent.ShouldNotContain("vCont;c");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void A_hostile_kernel_pool_still_gives_one_gap_free_record_per_hit_and_no_writes(int seed)
    {
        var (w, _) = WindowsGdbGuest.Injection();
        var hits = w.Hits;
        using var server = new FakeRspServer(w.Target);
        var (client, sent) = Connect(server);
        using var _c = client;
        var decoder = new WindowsOs(WindowsGdbGuest.Profiles);
        var found = GdbAttach.Discover(client, decoder);
        // After discovery, every kernel-pool byte (KPCR, EPROCESS/ETHREAD, handle tables, object headers and names,
        // the IDT) turns random: the decoder follows garbage pointers, lengths and counts.
        var random = new Random(seed);
        var end = w.Guest.PoolAlloc(1);
        for (var va = WindowsGdbGuest.PoolBase; va < end; va += 4096)
        {
            var page = new byte[(int)Math.Min(4096, end - va)];
            random.NextBytes(page);
            w.Guest.System.Write(va, page);
        }
        var sink = new ListSink();
        var summary = new GdbSyscallTracer(client, decoder, sink, new GdbTracerOptions { MaxHits = hits }).Run();
        summary.Records.ShouldBe(hits);
        sink.Records.Select(r => r.No).ShouldBe(Enumerable.Range(1, hits).Select(i => (long)i));
        sink.Records.Where(r => r.IsEnter).Select(r => r.Name).ShouldBe(InjectionScenario.Calls.Where((_, i) => i % 2 == 0));
        sent.Where(IsWritePacket).ShouldBeEmpty();
    }
}
