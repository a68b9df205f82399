using Alkanet.Introspection.Hooks;
using Alkanet.Core.Records;
using Alkanet.Introspection.Cpu;
using Alkanet.Introspection.Memory;
using Alkanet.Vmm.Gdb;

namespace Alkanet.Vmm.Tests.Gdb.Live;

[Trait("Category", "Live")]
public sealed class LiveGdbFailureTests
{
    /// <summary>Kills QEMU from inside the decoder at the given hit.</summary>
    private sealed class KillingDecoder(IGuestOs inner, GdbstubGuest guest, int killAt) : KnownSitesOs(inner.Name, inner.Found!.Sites)
    {
        private int _hits;

        public override bool OnHit(in HookSite site, in VcpuState state, IVirtualMemory memory, SyscallRecord record)
        {
            var ok = inner.OnHit(site, state, memory, record);
            if (++_hits == killAt) guest.Dispose();
            return ok;
        }
    }

    [Fact]
    public void Qemu_killed_mid_run_ends_the_trace_with_a_connection_error_the_records_so_far_flushed()
    {
        GdbstubGuest.SkipUnlessAvailable();
        var guest = GdbstubGuest.Start();
        var marker = guest.Marker;
        var sink = new ListSink();
        try
        {
            using var client = GdbClient.Connect("127.0.0.1", guest.GdbPort, new GdbClientOptions { Timeout = TimeSpan.FromSeconds(10) });
            var decoder = new KillingDecoder(new LinuxTestOs(guest.Kallsyms["x64_sys_call"], guest.Kallsyms["syscall_exit_to_user_mode_prepare"]), guest, 20);
            Should.Throw<GdbConnectionException>(() => new GdbSyscallTracer(client, decoder, sink).Run());
        }
        finally
        {
            guest.Dispose();
        }
        sink.Records.Count.ShouldBe(20);
        sink.Records.Select(r => r.No).ShouldBe(Enumerable.Range(1, 20).Select(i => (long)i));
        sink.Flushes.ShouldBe(1);
        GdbstubGuest.Survivors(marker).ShouldBeEmpty();
    }
}
