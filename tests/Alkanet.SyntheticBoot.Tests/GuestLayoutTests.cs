using Alkanet.Introspection.Hooks;
using Alkanet.Core.Records;
using Alkanet.Introspection.Cpu;
using Alkanet.Introspection.Memory;
using Alkanet.Introspection.Symbols;
using Alkanet.Introspection.TestKit;
using Alkanet.Introspection.TestKit.Boot;
using Alkanet.Introspection.Windows;

namespace Alkanet.SyntheticBoot.Tests;

/// <summary>The bootable guest, before it boots: discovery finds its kernel (from LSTAR and from the IDT, at any base),
/// the code at the hook sites is what the hooks expect, and every expected call decodes from the kit's ENTER and EXIT
/// states with the argument values the program passes (so the list a live test asserts is right by construction).</summary>
public class GuestLayoutTests
{
    private static readonly ProfileStore Store = new(Path.Combine(Path.GetTempPath(), "alkanet-no-such-profiles"));

    [Theory]
    [InlineData(0xFFFF_F804_5A00_0000UL, false)]
    [InlineData(0xFFFF_F800_1260_0000UL, false)]
    [InlineData(0xFFFF_F806_4E20_0000UL, true)]
    public void Discovery_from_the_idt_finds_the_kernel_and_the_sites_the_code_is_at(ulong kernelBase, bool kva)
    {
        var d = BootDisks.Build(new SyntheticBootOptions { KernelBase = kernelBase, KvaShadow = kva });
        var s = d.Guest.EnterState(d.SampleThread, 0);
        s.Known = (s.Known & ~KnownRegisters.Lstar) | KnownRegisters.IdtBase;
        s.Lstar = 0;
        s.IdtBase = d.IdtBase;
        var k = WindowsKernel.Discover(s, d.Guest.Physical, Store);
        k.Ok.ShouldBeTrue(k.Error);
        k.KernelBase.ShouldBe(kernelBase);
        k.HookSites!.KvaShadow.ShouldBe(kva);
        k.HookSites.Enter.ShouldBe(d.Guest.ExpectedEnterSite);
        k.HookSites.Lstar.ShouldBe(d.Guest.Lstar);
        k.HookSites.Exit.ShouldBe(d.Guest.ExpectedReturnSite);
        k.HookSites.ExitIsReturnSite.ShouldBeTrue();
        k.Syscalls!.Table.Release.ShouldBe(KernelServiceTable.Release);
        k.SyscallSource.ShouldContain("differs from the static Windows 10 (1909) table in 0 numbers");
        // KPCR.IdtBase names the same table (a plugin may read it through GS instead of IDTR).
        var m = d.Guest.MemoryOf(d.Sample);
        m.TryReadU64(d.Guest.Kpcr + d.Guest.Off("_KPCR", "IdtBase"), out var idt).ShouldBeTrue();
        idt.ShouldBe(d.IdtBase);
    }

    [Fact]
    public void The_code_at_the_hook_sites_is_the_entry_the_dispatcher_call_and_the_return_path()
    {
        var d = BootDisks.Build();
        var m = d.Guest.MemoryOf(d.Sample);
        string Disasm(ulong va, int n)
        {
            var code = new byte[n];
            m.Read(va, code).ShouldBe(n);
            return CodeEmitter.Disassemble(code, va);
        }
        Disasm(d.Guest.Symbol("KiSystemCall64"), 3).ShouldContain("swapgs");
        Disasm(d.Guest.ExpectedReturnSite - 3, 3).ShouldContain("call r10");
        Disasm(d.Guest.Symbol("KiSystemServiceExit"), 0x22).ShouldContain("sysretq");
        WindowsKernel.FindReturnSite(m, d.Guest.Symbol("KiSystemServiceCopyEnd")).ShouldBe(d.Guest.ExpectedReturnSite);
    }

    [Fact]
    public void KiServiceTable_entries_lead_to_the_services_at_their_symbols()
    {
        var d = BootDisks.Build();
        var m = d.Guest.MemoryOf(d.Sample);
        var table = d.Guest.Symbol("KiServiceTable");
        foreach (var c in d.ExpectedCalls.DistinctBy(c => c.Name))
        {
            m.TryReadU32(table + (c.Number * 4UL), out var entry).ShouldBeTrue();
            var routine = table + (ulong)((long)(int)entry >> 4);
            routine.ShouldBe(d.Guest.Symbol(c.Name), c.Name);
        }
    }

    [Fact]
    public void With_kva_shadow_the_user_tables_map_the_shadow_entry_but_not_the_kernel_image()
    {
        var d = BootDisks.Build(new SyntheticBootOptions { KvaShadow = true });
        var g = d.Guest;
        var m = g.MemoryOf(d.Sample);
        m.TryReadU64(d.Sample.Eprocess + g.Off("_KPROCESS", "UserDirectoryTableBase"), out var userCr3).ShouldBeTrue();
        userCr3.ShouldNotBe(d.Sample.Tables.Cr3());
        var user = new PagedVirtualMemory(g.Physical, userCr3, PagingMode.FourLevel);
        user.TryReadU8(g.Symbol("KiSystemCall64Shadow"), out _).ShouldBeTrue();
        user.TryReadU8(g.Symbol("KiKernelSysretExit"), out _).ShouldBeTrue();
        user.TryReadU8(g.Symbol("KiDivideErrorFaultShadow"), out _).ShouldBeTrue();
        user.TryReadU8(d.SampleEntry, out _).ShouldBeTrue();
        user.TryReadU8(g.KernelBase, out _).ShouldBeFalse(); // the image header: what Meltdown must not reach
        user.TryReadU8(g.Symbol("KiSystemServiceUser"), out _).ShouldBeFalse();
        m.TryReadU8(g.Symbol("KiKvaShadow"), out var flag).ShouldBeTrue();
        flag.ShouldBe((byte)1);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Every_expected_call_decodes_at_enter_and_exit_with_its_listed_fields(bool kva)
    {
        var d = BootDisks.Build(new SyntheticBootOptions { KvaShadow = kva });
        var g = d.Guest;
        var probe = g.EnterState(d.SampleThread, 0);
        var k = WindowsKernel.Discover(probe, g.Physical, Store);
        k.Ok.ShouldBeTrue(k.Error);
        var decoder = new WindowsSyscallDecoder(k);
        var memory = g.MemoryOf(d.Sample);
        var record = new SyscallRecord();
        d.ExpectedCalls.Count.ShouldBe(26);
        d.ExpectedCalls[^1].Name.ShouldBe("NtTerminateProcess");
        foreach (var c in d.ExpectedCalls)
        {
            var enter = g.EnterState(d.SampleThread, c.Number, [.. c.Args]);
            decoder.Decode(enter, memory, SiteKind.Enter, record).ShouldBeTrue();
            record.Name.ShouldBe(c.Name);
            record.Pid.ShouldBe(SyntheticWindowsBootDisk.SamplePid);
            record.Tid.ShouldBe(SyntheticWindowsBootDisk.SampleTid);
            record.ProcName.ShouldBe("sample.exe");
            foreach (var (key, value) in c.Enter) record.AdditionalInfo[key].ShouldBe(value, $"{c.Name} ENTER {key}: {record.AdditionalInfo}");
            if (!c.Returns) continue;
            ServiceEffects(d, c);
            decoder.Decode(g.ExitState(d.SampleThread, c.Status), memory, SiteKind.Exit, record).ShouldBeTrue();
            record.Name.ShouldBe(c.Name);
            record.RetVal.ShouldBe(c.Status);
            foreach (var (key, value) in c.Exit) record.AdditionalInfo[key].ShouldBe(value, $"{c.Name} EXIT {key}: {record.AdditionalInfo}");
        }
    }

    [Fact]
    public void Iterations_repeat_the_round_and_end_with_one_termination()
    {
        var d = BootDisks.Build(new SyntheticBootOptions { Iterations = 3 });
        d.ExpectedCalls.Count.ShouldBe((25 * 3) + 1);
        d.ExpectedCalls.Count(c => c.Name == "NtWriteFile").ShouldBe(3);
        Should.Throw<ArgumentOutOfRangeException>(() => BootDisks.Build(new SyntheticBootOptions { Iterations = 0 }));
        Should.Throw<ArgumentOutOfRangeException>(() => BootDisks.Build(new SyntheticBootOptions { KernelBase = 0xFFFF_F804_5A01_0000UL })).Message.ShouldContain("2 MiB");
        Should.Throw<ArgumentOutOfRangeException>(() => BootDisks.Build(new SyntheticBootOptions { PhysicalStart = 0x1000 })).Message.ShouldContain("PhysicalStart");
    }

    /// <summary>What the synthetic services write before returning (SyntheticKernelCode's NtCreateFile & co.).</summary>
    private static void ServiceEffects(SyntheticWindowsBootDisk d, GuestCall c)
    {
        var t = d.Sample.Tables;
        if (c.OutHandle is { } h) t.WriteU64(c.Args[0], h);
        switch (c.Name)
        {
            case "NtWriteFile":
                t.WriteU64(c.Args[4] + 8, c.Args[6]);
                break;
            case "NtAllocateVirtualMemory":
                t.WriteU64(c.Args[1], SyntheticKernelCode.AllocationBase);
                break;
            case "NtWriteVirtualMemory":
                t.WriteU64(c.Args[4], c.Args[3]);
                break;
            case "NtCreateUserProcess":
                t.WriteU64(c.Args[1], ulong.Parse(c.Exit["out_thread_handle"], System.Globalization.NumberStyles.HexNumber));
                break;
        }
    }
}
