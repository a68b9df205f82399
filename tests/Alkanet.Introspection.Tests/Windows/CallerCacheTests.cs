using Alkanet.Introspection.TestKit;

namespace Alkanet.Introspection.Tests.Windows;

/// <summary>The caller cache per ETHREAD (<see cref="Introspection.Windows.WindowsCaller"/>): warm hits take the process
/// from the cache, checked against the thread's CLIENT_ID read on every hit.</summary>
public sealed class CallerCacheTests
{
    [Fact]
    public void A_warm_hit_takes_the_process_from_the_cache_and_names_it_as_a_cold_one_does()
    {
        var h = new DecoderHarness();
        var cold = h.Enter("NtClose", 0x44);
        h.Exit();
        var warm = h.Enter("NtClose", 0x44);
        h.Decoder.Callers.ThreadCacheMisses.ShouldBe(1);
        h.Decoder.Callers.ThreadCacheHits.ShouldBeGreaterThanOrEqualTo(2);
        (warm.Pid, warm.Tid, warm.ProcName, warm.ParentPid).ShouldBe((cold.Pid, cold.Tid, cold.ProcName, cold.ParentPid));
        (warm.Pid, warm.Tid, warm.ProcName, warm.ParentPid).ShouldBe((0x21f4UL, 0x21f8UL, "7d317343ffac1b", (ulong?)0x1a0c));
    }

    [Fact]
    public void An_ETHREAD_reused_by_a_thread_of_another_process_is_read_again()
    {
        var h = new DecoderHarness();
        h.Enter("NtClose", 0x44);
        h.Exit();
        // the thread ends; its ETHREAD is given to a new thread (new tid) of another process (pid reused or not)
        var other = h.Guest.AddProcess(0x3000, "evil.exe", 0x21f4, null, null);
        var g = h.Guest;
        var cid = h.Thread.Ethread + g.Off("_ETHREAD", "Cid");
        g.System.WriteU64(cid + g.Off("_CLIENT_ID", "UniqueProcess"), 0x3000);
        g.System.WriteU64(cid + g.Off("_CLIENT_ID", "UniqueThread"), 0x3004);
        g.System.WriteU64(h.Thread.Ethread + g.Off("_KTHREAD", "ApcState.Process"), other.Eprocess);
        var r = h.Enter("NtClose", 0x44);
        (r.Pid, r.Tid, r.ProcName, r.ParentPid).ShouldBe((0x3000UL, 0x3004UL, "evil.exe", (ulong?)0x21f4));
        h.Decoder.Callers.ThreadCacheMisses.ShouldBe(2);
    }

    [Fact]
    public void A_pid_reused_by_a_new_process_on_the_same_ETHREAD_with_another_tid_shows_the_new_process()
    {
        var h = new DecoderHarness();
        h.Enter("NtClose", 0x44);
        h.Exit();
        var g = h.Guest;
        var reborn = g.AddProcess(0x21f4, "reborn.exe", 0x4, null, null); // the same pid, a new EPROCESS
        g.System.WriteU64(h.Thread.Ethread + g.Off("_ETHREAD", "Cid") + g.Off("_CLIENT_ID", "UniqueThread"), 0x21fc);
        g.System.WriteU64(h.Thread.Ethread + g.Off("_KTHREAD", "ApcState.Process"), reborn.Eprocess);
        var r = h.Enter("NtClose", 0x44);
        (r.Pid, r.Tid, r.ProcName, r.ParentPid).ShouldBe((0x21f4UL, 0x21fcUL, "reborn.exe", (ulong?)0x4));
    }
}
