using Alkanet.Introspection.Cpu;
using Alkanet.Vmm.Gdb;

namespace Alkanet.Vmm.Tests.Gdb.Live;

/// <summary>The client against a real QEMU gdbstub (TCG). Skips locally without QEMU; fails under CI=true.</summary>
[Trait("Category", "Live")]
public sealed class LiveGdbClientTests
{
    [Fact]
    public void Attaches_reads_registers_and_memory_breaks_on_a_kernel_function_and_detaches()
    {
        GdbstubGuest.SkipUnlessAvailable();
        string marker;
        using (var guest = GdbstubGuest.Start())
        {
            marker = guest.Marker;
            var entry = guest.Kallsyms["x64_sys_call"];
            using var client = GdbClient.Connect("127.0.0.1", guest.GdbPort);
            client.Multiprocess.ShouldBeTrue();
            client.Layout.Find("rip").ShouldNotBeNull();
            client.Layout.Find("cr3").ShouldNotBeNull();
            var threads = client.ListThreads();
            threads.Count.ShouldBe(2);

            // The entry site starts with the ftrace NOP, read through the attached vCPU's page tables.
            var code = new byte[16];
            client.ReadMemory(threads[0], entry, code).ShouldBe(16);
            code.AsSpan(0, 5).ToArray().ShouldBe(GdbClient.FtraceNop.ToArray());

            client.MonitorCommand("info registers").ShouldContain("IDT=");
            client.ReadIdtBase().ShouldNotBeNull().ShouldBeGreaterThan(0xffff800000000000UL); // a kernel address

            client.SetHardwareBreakpoint(entry);
            var cpus = new HashSet<int>();
            for (var i = 0; i < 20; i++)
            {
                client.Continue();
                var stop = client.WaitForStop(TimeSpan.FromSeconds(30)).ShouldNotBeNull();
                stop.IsTrap.ShouldBeTrue(stop.Raw);
                var thread = stop.Thread.ShouldNotBeNull();
                var regs = client.ReadRegisters(thread);
                regs.Rip.ShouldBe(entry);
                regs.Cpl.ShouldBe(0);
                (regs.Known & KnownRegisters.Control).ShouldNotBe(KnownRegisters.None);
                regs.Cr3.ShouldNotBe(0UL);
                regs.GsBase.ShouldBeGreaterThan(0xffff800000000000UL);
                regs.Rsi.ShouldBeLessThan(600UL); // the system-call number
                // pt_regs (RDI) holds orig_ax at 15 * 8: the same number the caller passed in ESI.
                var ptRegs = new byte[21 * 8];
                client.ReadMemory(thread, regs.Rdi, ptRegs).ShouldBe(ptRegs.Length);
                BitConverter.ToUInt64(ptRegs, 15 * 8).ShouldBe(regs.Rsi & 0xffffffff);
                cpus.Add(regs.CpuIndex);
                client.StepOver(thread, entry, regs.Rip).ShouldBe(StepOverMethod.RipAdvanced);
            }
            client.RemoveHardwareBreakpoint(entry);
            client.Detach();
            client.Connection.Guard.AllowedRegisterWrites.ShouldBe(20);
        }
        GdbstubGuest.Survivors(marker).ShouldBeEmpty();
    }
}
