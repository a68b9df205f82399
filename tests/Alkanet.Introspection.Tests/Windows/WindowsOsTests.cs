using Alkanet.Introspection.Hooks;
using Alkanet.Core.Json;
using Alkanet.Core.Records;
using Alkanet.Introspection.Cpu;
using Alkanet.Introspection.Memory;
using Alkanet.Introspection.TestKit;
using Alkanet.Introspection.Windows;

namespace Alkanet.Introspection.Tests.Windows;

/// <summary>Windows through the OS interface as the in-QEMU hook drives it, against the synthetic guest: discovery from
/// GS_BASE or KERNEL_GS_BASE through KPCR.Self and KPCR.IdtBase (the plugin has no IDTR), retries after every kind of
/// failure, and hits decoded exactly as the shared decoder decodes them from only the registers the OS asks for.</summary>
public class WindowsOsTests
{
    /// <summary>What the plugin hands the OS: only the registers of <paramref name="set"/> (the rest read as 0), no IDTR.</summary>
    private static VcpuState Seen(VcpuState s, RegisterSet set, int? cpu = null)
    {
        var v = new VcpuState { CpuIndex = cpu ?? s.CpuIndex, Known = KnownRegisters.General };
        if ((set & RegisterSet.Rax) != 0) v.Rax = s.Rax;
        if ((set & RegisterSet.Rdx) != 0) v.Rdx = s.Rdx;
        if ((set & RegisterSet.Rsi) != 0) v.Rsi = s.Rsi;
        if ((set & RegisterSet.Rdi) != 0) v.Rdi = s.Rdi;
        if ((set & RegisterSet.Rsp) != 0) v.Rsp = s.Rsp;
        if ((set & RegisterSet.R8) != 0) v.R8 = s.R8;
        if ((set & RegisterSet.R9) != 0) v.R9 = s.R9;
        if ((set & RegisterSet.R10) != 0) v.R10 = s.R10;
        if ((set & RegisterSet.GsBase) != 0) v.GsBase = s.GsBase;
        if ((set & RegisterSet.KernelGsBase) != 0) v.KernelGsBase = s.KernelGsBase;
        if ((set & RegisterSet.Cr3) != 0)
        {
            v.Cr3 = s.Cr3;
            v.Known |= KnownRegisters.Control;
        }
        return v;
    }

    private static bool Hit(WindowsOs os, SiteKind kind, VcpuState s, IVirtualMemory memory, SyscallRecord r, int? cpu = null) =>
        os.OnHit(new HookSite(s.Rip, kind, kind.ToString()), Seen(s, os.RegistersAt(kind), cpu), memory, r);

    private sealed class Fixture
    {
        public Fixture(SyntheticGuestOptions? options = null)
        {
            Guest = KernelDiscoveryTests.NewGuest(options);
            Process = Guest.AddProcess(0x21f4, "7d317343ffac1b", 0x1a0c, @"C:\Users\u\7d317343ffac1b.exe", "x");
            Thread = Process.AddThread(0x21f8);
            Idt = Guest.PoolAlloc(4096, 4096);
            SetVector0(Guest.Symbol(Guest.Options.KvaShadow ? "KiDivideErrorFaultShadow" : "KiDivideErrorFault"));
            Guest.System.WriteU64(Guest.Kpcr + Guest.Off("_KPCR", "IdtBase"), Idt);
            Memory = Guest.MemoryOf(Process);
            Os = new WindowsOs(KernelDiscoveryTests.Store);
            Turns = new DiscoveryTurns(Os);
        }

        public SyntheticWindowsGuest Guest { get; }
        public SyntheticProcess Process { get; }
        public SyntheticThread Thread { get; }
        public ulong Idt { get; }
        public PagedVirtualMemory Memory { get; }
        public WindowsOs Os { get; }
        public DiscoveryTurns Turns { get; }

        public void SetVector0(ulong handler)
        {
            Guest.System.Write(Idt, [(byte)handler, (byte)(handler >> 8), 0x10, 0, 0, 0x8E, (byte)(handler >> 16), (byte)(handler >> 24)]);
            Guest.System.WriteU32(Idt + 8, (uint)(handler >> 32));
        }

        public VcpuState Kernel(ulong gs, ulong kgs)
        {
            var s = Guest.ExitState(Thread, 0);
            s.GsBase = gs;
            s.KernelGsBase = kgs;
            return s;
        }

        public bool Discover(VcpuState s) => Turns.TryFind(Seen(s, Os.DiscoveryRegisters, 0), Memory);
    }

    [Fact]
    public void Discovery_takes_the_kpcr_from_gs_base_in_kernel_mode()
    {
        var f = new Fixture();
        f.Discover(f.Kernel(f.Guest.Kpcr, f.Thread.Teb)).ShouldBeTrue(f.Turns.LastError);
        f.Os.Kernel!.KernelBase.ShouldBe(f.Guest.KernelBase);
        f.Os.Kernel.HookSites!.Enter.ShouldBe(f.Guest.ExpectedEnterSite);
        f.Os.Kernel.HookSites.Exit.ShouldBe(f.Guest.ExpectedReturnSite);
        f.Os.Found!.Sites.Select(s => (s.Address, s.Kind))
            .ShouldBe([(f.Guest.ExpectedEnterSite, SiteKind.Enter), (f.Guest.ExpectedReturnSite, SiteKind.Exit)]);
        f.Os.Found.KernelBase.ShouldBe(f.Guest.KernelBase);
        f.Turns.LastError.ShouldBeNull();
        f.Turns.Describe().ShouldContain($"ntoskrnl at 0x{f.Guest.KernelBase:x}");
        f.Turns.Describe().ShouldContain("build 18363");
    }

    [Fact]
    public void Discovery_takes_the_kpcr_from_kernel_gs_base_at_the_syscall_entry()
    {
        var f = new Fixture();
        var s = f.Guest.EnterState(f.Thread, 0x55); // GS_BASE = the TEB, KERNEL_GS_BASE = the KPCR
        f.Discover(s).ShouldBeTrue(f.Turns.LastError);
        f.Os.Kernel!.KernelBase.ShouldBe(f.Guest.KernelBase);
        f.Turns.Attempts.ShouldBe(1);
    }

    [Fact]
    public void Kva_shadow_is_told_by_the_idt_and_enter_hooks_KiSystemServiceUser()
    {
        var f = new Fixture(new SyntheticGuestOptions { KvaShadow = true });
        f.Discover(f.Kernel(f.Guest.Kpcr, f.Thread.Teb)).ShouldBeTrue(f.Turns.LastError);
        f.Os.Kernel!.HookSites!.KvaShadow.ShouldBeTrue();
        f.Os.Kernel.HookSites.Enter.ShouldBe(f.Guest.Symbol("KiSystemServiceUser"));
    }

    [Fact]
    public void Early_boot_without_a_kpcr_fails_and_a_later_attempt_succeeds()
    {
        var f = new Fixture();
        f.Discover(f.Kernel(0, 0)).ShouldBeFalse();
        f.Turns.LastError!.ShouldContain("no KPCR yet");
        f.Discover(f.Kernel(0x7FF6_0000_0000, 0)).ShouldBeFalse(); // a user GS only
        f.Os.Found.ShouldBeNull();
        f.Discover(f.Kernel(f.Guest.Kpcr, 0)).ShouldBeTrue(f.Turns.LastError);
        f.Turns.Attempts.ShouldBe(3);
        f.Turns.Failures.ShouldBe(2);
    }

    [Fact]
    public void A_kpcr_whose_self_does_not_point_at_itself_is_not_taken()
    {
        var f = new Fixture();
        var fake = f.Guest.PoolAlloc(0x1000, 0x1000);
        f.Guest.System.WriteU64(fake + f.Guest.Off("_KPCR", "Self"), fake + 8);
        f.Guest.System.WriteU64(fake + f.Guest.Off("_KPCR", "IdtBase"), f.Idt);
        f.Discover(f.Kernel(fake, 0xFFFF_8000_DEAD_0000)).ShouldBeFalse(); // the second one is unmapped
        f.Turns.LastError!.ShouldContain("no KPCR yet");
        // Either register may hold the real one.
        f.Discover(f.Kernel(fake, f.Guest.Kpcr)).ShouldBeTrue(f.Turns.LastError);
    }

    [Fact]
    public void A_garbage_idt_base_and_an_unreadable_idt_fail_cleanly()
    {
        var f = new Fixture();
        var idtField = f.Guest.Kpcr + f.Guest.Off("_KPCR", "IdtBase");
        f.Guest.System.WriteU64(idtField, 0x1234);
        f.Discover(f.Kernel(f.Guest.Kpcr, 0)).ShouldBeFalse();
        f.Turns.LastError!.ShouldContain("IDT base");
        f.Guest.System.WriteU64(idtField, 0xFFFF_9000_0000_0000); // a kernel address nothing maps
        f.Discover(f.Kernel(f.Guest.Kpcr, 0)).ShouldBeFalse();
        f.Turns.LastError!.ShouldContain("not readable");
        f.Guest.System.WriteU64(idtField, f.Idt);
        f.SetVector0(0x0000_7FF0_0000_0000); // vector 0 pointing at user memory
        f.Discover(f.Kernel(f.Guest.Kpcr, 0)).ShouldBeFalse();
        f.Turns.LastError!.ShouldContain("not a kernel address");
        f.SetVector0(f.Guest.Symbol("KiDivideErrorFault"));
        f.Discover(f.Kernel(f.Guest.Kpcr, 0)).ShouldBeTrue(f.Turns.LastError);
    }

    [Fact]
    public void No_image_header_below_the_handler_fails_and_retries_once_it_is_there()
    {
        var f = new Fixture();
        Span<byte> header = stackalloc byte[2];
        f.Memory.Read(f.Guest.KernelBase, header).ShouldBe(2);
        var saved = header.ToArray();
        f.Guest.System.Write(f.Guest.KernelBase, "XX"u8.ToArray());
        f.Discover(f.Kernel(f.Guest.Kpcr, 0)).ShouldBeFalse();
        f.Turns.LastError!.ShouldContain("no PE image header");
        f.Guest.System.Write(f.Guest.KernelBase, saved);
        f.Discover(f.Kernel(f.Guest.Kpcr, 0)).ShouldBeTrue(f.Turns.LastError);
    }

    [Fact]
    public void A_kernel_without_a_symbol_table_names_its_pdb_and_the_import_command()
    {
        var f = new Fixture(new SyntheticGuestOptions { PdbGuid = "0123456789ABCDEF0123456789ABCDEF", PdbAge = 3 });
        f.Discover(f.Kernel(f.Guest.Kpcr, 0)).ShouldBeFalse();
        f.Turns.LastError!.ShouldContain("0123456789ABCDEF0123456789ABCDEF-3");
        f.Turns.LastError!.ShouldContain("alkanet profile import");
        f.Turns.Describe().ShouldContain("kernel not found yet after 1 attempt(s)");
    }

    [Fact]
    public void Random_guest_memory_at_the_kpcr_never_throws()
    {
        var f = new Fixture();
        var rng = new Random(4);
        var page = f.Guest.PoolAlloc(0x1000, 0x1000);
        var bytes = new byte[0x1000];
        for (var i = 0; i < 200; i++)
        {
            rng.NextBytes(bytes);
            if (i % 3 == 0) BitConverter.TryWriteBytes(bytes.AsSpan((int)f.Guest.Off("_KPCR", "Self")), page); // Self right, the rest garbage
            f.Guest.System.Write(page, bytes);
            f.Discover(f.Kernel(page, (ulong)rng.NextInt64() | 0x8000_0000_0000_0000)).ShouldBeFalse();
        }
        f.Turns.Failures.ShouldBe(200);
        f.Discover(f.Kernel(f.Guest.Kpcr, 0)).ShouldBeTrue(f.Turns.LastError);
    }

    [Fact]
    public void Hits_before_discovery_write_nothing()
    {
        var f = new Fixture();
        var r = new SyscallRecord();
        Hit(f.Os, SiteKind.Enter, f.Guest.EnterState(f.Thread, 0x55), f.Memory, r).ShouldBeFalse();
        f.Os.Found.ShouldBeNull();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Hits_decode_into_the_records_the_shared_decoder_gives(bool kva)
    {
        var f = new Fixture(new SyntheticGuestOptions { KvaShadow = kva });
        f.Discover(f.Kernel(f.Guest.Kpcr, 0)).ShouldBeTrue(f.Turns.LastError);
        var reference = new WindowsSyscallDecoder(f.Os.Kernel!);
        var number = f.Os.Kernel!.Syscalls!.Table.TryGetNumber("NtCreateFile", out var n) ? n : throw new InvalidOperationException();
        var p = f.Process;
        var handleOut = p.U64(0);
        var enter = f.Guest.EnterState(f.Thread, number, handleOut, 0x40100080, p.ObjectAttributes(@"\??\C:\Users\u\dropped.exe"), p.UserAlloc(16), 0, 0x80, 0, 5, 0x60, 0, 0);
        enter.CpuIndex = 1;
        var file = f.Guest.AddFile(@"\Users\u\dropped.exe");
        var ours = new List<string>();
        var theirs = new List<string>();
        var r = new SyscallRecord();
        f.Os.RegistersAt(SiteKind.Enter).ShouldBe(RegisterSet.Rax | RegisterSet.R10 | RegisterSet.Rdx | RegisterSet.R8 | RegisterSet.R9 |
            RegisterSet.Rsp | RegisterSet.GsBase | RegisterSet.KernelGsBase);
        Hit(f.Os, SiteKind.Enter, enter, f.Memory, r).ShouldBeTrue();
        ours.Add(RecordJson.Serialize(r));
        reference.Decode(enter, f.Memory, SiteKind.Enter, r);
        theirs.Add(RecordJson.Serialize(r));

        var handle = p.AddHandle(file);
        p.Tables.WriteU64(handleOut, handle);
        var exit = f.Guest.ExitState(f.Thread, 0);
        exit.CpuIndex = 1;
        f.Os.RegistersAt(SiteKind.Exit).ShouldBe(RegisterSet.Rax | RegisterSet.PerVcpu); // the status; the KPCR
        Hit(f.Os, SiteKind.Exit, exit, f.Memory, r).ShouldBeTrue();
        ours.Add(RecordJson.Serialize(r));
        reference.Decode(exit, f.Memory, SiteKind.Exit, r);
        theirs.Add(RecordJson.Serialize(r));

        // cr3 is not read by default (the plugin's cr3=on reads it): the reference decoder saw it, so compare without.
        ours.ShouldBe(theirs.Select(j => RecordJson.Serialize(WithoutCr3(j))).ToList());
        var enterRecord = RecordJson.Parse(ours[0]);
        enterRecord.Name.ShouldBe("NtCreateFile");
        enterRecord.Pid.ShouldBe(0x21f4UL);
        enterRecord.Tid.ShouldBe(0x21f8UL);
        enterRecord.ProcName.ShouldBe("7d317343ffac1b");
        enterRecord.CpuId.ShouldBe(1);
        var exitRecord = RecordJson.Parse(ours[1]);
        exitRecord.LogType.ShouldBe(LogType.Exit);
        exitRecord.Name.ShouldBe("NtCreateFile");
        exitRecord.AdditionalInfo["out_handle"].ShouldBe(handle.ToString("x"));
    }

    [Fact]
    public void With_cr3_on_the_record_carries_it()
    {
        var f = new Fixture();
        var os = new WindowsOs(KernelDiscoveryTests.Store, readCr3: true);
        var turns = new DiscoveryTurns(os);
        turns.TryFind(Seen(f.Kernel(f.Guest.Kpcr, 0), os.DiscoveryRegisters), f.Memory).ShouldBeTrue(turns.LastError);
        var s = f.Guest.EnterState(f.Thread, 0x55);
        var r = new SyscallRecord();
        (os.RegistersAt(SiteKind.Enter) & RegisterSet.Cr3).ShouldBe(RegisterSet.Cr3);
        Hit(os, SiteKind.Enter, s, f.Memory, r).ShouldBeTrue();
        r.Cr3.ShouldBe(s.Cr3 & PageWalker.AddressMask);
        r.Cr3.ShouldNotBe(0UL);
    }

    [Fact]
    public void A_call_entered_on_one_vcpu_pairs_with_its_exit_on_another()
    {
        var f = new Fixture();
        f.Discover(f.Kernel(f.Guest.Kpcr, 0)).ShouldBeTrue(f.Turns.LastError);
        var number = f.Os.Kernel!.Syscalls!.Table.TryGetNumber("NtClose", out var n) ? n : throw new InvalidOperationException();
        var r = new SyscallRecord();
        Hit(f.Os, SiteKind.Enter, f.Guest.EnterState(f.Thread, number, 0x44), f.Memory, r, cpu: 0).ShouldBeTrue();
        Hit(f.Os, SiteKind.Exit, f.Guest.ExitState(f.Thread, 0), f.Memory, r, cpu: 1).ShouldBeTrue();
        r.Name.ShouldBe("NtClose");
        r.AdditionalInfo["unpaired"].ShouldBeNull();
    }

    [Fact]
    public void Vcpu_threads_decode_concurrently_and_every_exit_pairs()
    {
        var f = new Fixture();
        f.Discover(f.Kernel(f.Guest.Kpcr, 0)).ShouldBeTrue(f.Turns.LastError);
        var number = f.Os.Kernel!.Syscalls!.Table.TryGetNumber("NtClose", out var n) ? n : throw new InvalidOperationException();
        // Each vCPU has its own KPCR whose current thread is its own guest thread; the states are built first
        // (building writes guest memory).
        var g = f.Guest;
        var work = Enumerable.Range(0, 4).Select(cpu =>
        {
            var thread = f.Process.AddThread((ulong)(0x3000 + (cpu * 4)));
            var kpcr = g.PoolAlloc(g.Size("_KPCR"), 4096);
            g.System.WriteU64(kpcr + g.Off("_KPCR", "Self"), kpcr);
            g.System.WriteU64(kpcr + g.Off("_KPCR", "Prcb") + g.Off("_KPRCB", "CurrentThread"), thread.Ethread);
            var enter = g.EnterState(thread, number, 0x44);
            var exit = g.ExitState(thread, 0);
            enter.KernelGsBase = exit.GsBase = kpcr;
            return (Cpu: cpu, Enter: enter, Exit: exit, Memory: g.MemoryOf(f.Process), Tid: thread.Tid);
        }).ToList();
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.ForEach(work, new ParallelOptions { MaxDegreeOfParallelism = 4 }, w =>
        {
            var r = new SyscallRecord();
            for (var i = 0; i < 2000; i++)
            {
                Hit(f.Os, SiteKind.Enter, w.Enter, w.Memory, r, w.Cpu);
                Hit(f.Os, SiteKind.Exit, w.Exit, w.Memory, r, w.Cpu);
                if (r.Name != "NtClose" || r.Tid != w.Tid || r.AdditionalInfo["unpaired"] is not null)
                    failures.Add($"vCPU {w.Cpu} round {i}: {RecordJson.Serialize(r)}");
            }
        });
        failures.ShouldBeEmpty();
    }

    private static SyscallRecord WithoutCr3(string json)
    {
        var r = RecordJson.Parse(json);
        r.Cr3 = 0;
        return r;
    }
}
