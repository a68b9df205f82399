using Alkanet.Introspection.Hooks;
using Alkanet.Core.Records;
using Alkanet.Introspection.Memory;
using Alkanet.Introspection.TestKit;
using Alkanet.Introspection.Windows;

namespace Alkanet.Introspection.Tests.Windows;

public class LiveHookApiTests
{
    [Fact]
    public void DecodeHit_takes_the_side_from_rip_and_ignores_other_addresses()
    {
        var h = new DecoderHarness();
        var r = new SyscallRecord();
        var enter = h.Guest.EnterState(h.Thread, h.Number("NtClose"), 0x10);
        h.Decoder.DecodeHit(enter, h.Memory, r).ShouldBeTrue();
        r.LogType.ShouldBe(LogType.Enter);
        h.Decoder.DecodeHit(h.Guest.ExitState(h.Thread, 0), h.Memory, r).ShouldBeTrue();
        r.LogType.ShouldBe(LogType.Exit);
        r.Name.ShouldBe("NtClose");
        enter.Rip += 1;
        h.Decoder.DecodeHit(enter, h.Memory, r).ShouldBeFalse();
    }

    [Fact]
    public void The_caller_s_image_path_and_command_line_come_from_the_peb()
    {
        var h = new DecoderHarness();
        var (image, cmd) = h.Decoder.Callers.ProcessParameters(h.Memory, h.Process.Eprocess);
        image.ShouldBe(@"C:\Users\u\7d317343ffac1b.exe");
        cmd.ShouldBe("\"C:\\Users\\u\\7d317343ffac1b.exe\" -x");
        // Another process's PEB is read in its own address space; a PEB that is not mapped gives nothing.
        var other = h.Guest.AddProcess(0x999, "other.exe", 4, @"C:\other.exe", "other");
        h.Decoder.Callers.ProcessParameters(h.Guest.MemoryOf(other), other.Eprocess).ShouldBe((@"C:\other.exe", "other"));
        h.Guest.System.WriteU64(other.Eprocess + h.Guest.Off("_EPROCESS", "Peb"), 0x7FFE_0000_0000);
        h.Decoder.Callers.ProcessParameters(h.Guest.MemoryOf(other), other.Eprocess).ShouldBe((null, null));
    }

    [Fact]
    public void At_the_kva_shadow_entry_a_user_cr3_plus_the_kernel_cr3_from_discovery_decodes_the_call()
    {
        var h = new DecoderHarness(new SyntheticGuestOptions { KvaShadow = true });
        // The user CR3 of KVA shadow: the process's user half only (the kernel half is absent).
        var shadow = new PageTableBuilder(h.Guest.Physical);
        Span<byte> lowerHalf = stackalloc byte[2048];
        h.Guest.Physical.TryRead(h.Process.Tables.Root, lowerHalf);
        h.Guest.Physical.Write(shadow.Root, lowerHalf);

        var state = h.Guest.EnterState(h.Thread, h.Number("NtOpenFile"), h.Process.U64(0), 0x100001, h.Process.ObjectAttributes(@"\??\C:\secret.txt"), h.Process.UserAlloc(16), 7, 0x20);
        state.Rip = h.Kernel.HookSites!.Lstar;     // hooked at KiSystemCall64Shadow itself
        state.Rsp = h.Thread.UserRsp;
        state.GsBase = h.Thread.Teb;
        state.KernelGsBase = h.Guest.Kpcr;
        state.Cr3 = shadow.Cr3();

        var userOnly = new PagedVirtualMemory(h.Guest.Physical, state.Cr3);
        var r = new SyscallRecord();
        h.Decoder.Decode(state, userOnly, SiteKind.Enter, r).ShouldBeFalse(); // the KPCR is not mapped
        var split = new SplitVirtualMemory(userOnly, new PagedVirtualMemory(h.Guest.Physical, h.Kernel.KernelCr3));
        h.Decoder.Decode(state, split, SiteKind.Enter, r).ShouldBeTrue();
        r.Pid.ShouldBe(0x21f4UL);
        r.AdditionalInfo["file_name"].ShouldBe(@"0\\??\C:\secret.txt");
    }
}
