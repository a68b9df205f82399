using Alkanet.Introspection.TestKit;
using Alkanet.Introspection.Windows;

namespace Alkanet.Introspection.Tests.Windows;

public class PairingTests
{
    [Fact]
    public void Nested_calls_pair_innermost_first_by_user_stack_pointer()
    {
        var h = new DecoderHarness();
        var t = h.Thread;
        var outer = t.UserRsp;
        h.Enter("NtDelayExecution", 0, h.Process.U64(0));
        t.UserRsp = outer - 0x800; // a user-mode callback runs deeper on the same stack
        h.Enter("NtClose", 0x44);
        h.Decoder.Pairing.PendingCalls.ShouldBe(2);
        h.Exit().Name.ShouldBe("NtClose");
        t.UserRsp = outer;
        h.Exit().Name.ShouldBe("NtDelayExecution");
        h.Decoder.Pairing.PendingCalls.ShouldBe(0);
        h.Decoder.Pairing.TrackedThreads.ShouldBe(0);
    }

    [Fact]
    public void Calls_that_never_return_leave_no_state()
    {
        var h = new DecoderHarness();
        var t = h.Thread;
        var outer = t.UserRsp;
        h.Enter("NtContinue", h.Process.UserAlloc(0x4d0), 0);
        h.Decoder.Pairing.PendingCalls.ShouldBe(0);
        // NtCallbackReturn from a deeper frame: the callback's own pending calls are dropped when the outer call exits.
        h.Enter("NtDelayExecution", 0, h.Process.U64(0));
        t.UserRsp = outer - 0x800;
        h.Enter("NtClose", 0x44); // never sees its exit in this trace
        h.Enter("NtCallbackReturn", 0, 0, 0);
        t.UserRsp = outer;
        h.Exit().Name.ShouldBe("NtDelayExecution");
        h.Decoder.Pairing.PendingCalls.ShouldBe(0);
        // NtTerminateThread of self forgets the thread.
        h.Enter("NtDelayExecution", 0, h.Process.U64(0));
        h.Enter("NtTerminateThread", ulong.MaxValue - 1, 0);
        h.Decoder.Pairing.TrackedThreads.ShouldBe(0);
    }

    [Fact]
    public void A_new_call_on_the_same_stack_frame_replaces_a_lost_one_and_depth_stays_bounded()
    {
        var h = new DecoderHarness();
        for (var i = 0; i < 100; i++) h.Enter("NtClose", 0x44);
        h.Decoder.Pairing.PendingCalls.ShouldBe(1);
        for (var i = 0; i < 100; i++)
        {
            h.Thread.UserRsp -= 0x100;
            h.Enter("NtClose", 0x44);
        }
        h.Decoder.Pairing.PendingCalls.ShouldBe(SyscallPairing.MaxDepth);
    }

    [Fact]
    public void An_exit_without_enter_is_marked_unpaired_with_the_thread_s_call_number()
    {
        var h = new DecoderHarness();
        h.Guest.System.WriteU32(h.Thread.Ethread + h.Guest.Off("_KTHREAD", "SystemCallNumber"), 0x55);
        var r = h.Exit(0);
        r.Name.ShouldBe("NtCreateFile");
        r.AdditionalInfo["unpaired"].ShouldBe("trace_started");
    }

    [Fact]
    public void Threads_pair_independently()
    {
        var h = new DecoderHarness();
        var other = h.Process.AddThread(0x3000);
        h.Enter(h.Thread, "NtClose", 0x10);
        h.Enter(other, "NtDelayExecution", 0, h.Process.U64(0));
        h.Exit(h.Thread).Name.ShouldBe("NtClose");
        var o = h.Exit(other);
        o.Name.ShouldBe("NtDelayExecution");
        o.Tid.ShouldBe(0x3000UL);
    }

    [Fact]
    public void With_kva_shadow_the_enter_site_reads_the_user_stack_from_the_kpcr()
    {
        var h = new DecoderHarness(new SyntheticGuestOptions { KvaShadow = true });
        h.Kernel.HookSites!.KvaShadow.ShouldBeTrue();
        var outH = h.Process.U64(0);
        // NtCreateThreadEx's 5th..11th arguments come from the user stack.
        var r = h.Enter("NtCreateThreadEx", outH, 0x1FFFFF, 0, ulong.MaxValue, 0x7FF6_1000_2000, 0, 4, 0, 0, 0, 0);
        r.AdditionalInfo["start_address"].ShouldBe("7ff610002000");
        r.AdditionalInfo["flags_names"].ShouldBe("THREAD_CREATE_FLAGS_HIDE_FROM_DEBUGGER");
        h.Exit(0xC0000022).RetVal.ShouldBe(0xC0000022UL);
    }

    [Fact]
    public void Five_level_guests_decode_the_same()
    {
        var h = new DecoderHarness(new SyntheticGuestOptions { Paging = Alkanet.Introspection.Memory.PagingMode.FiveLevel, KernelBase = 0xFF7F_F804_5A00_0000UL });
        var r = h.Enter("NtCreateFile", h.Process.U64(0), 0x80100080, h.Process.ObjectAttributes(@"\??\C:\x"), h.Process.UserAlloc(16), 0, 0x80, 1, 1, 0x60, 0, 0);
        r.AdditionalInfo["file_name"].ShouldBe(@"0\\??\C:\x");
        r.ProcName.ShouldBe("7d317343ffac1b");
    }
}
