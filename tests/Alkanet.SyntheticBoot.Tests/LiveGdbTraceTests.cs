using Alkanet.Introspection.Windows;
using Alkanet.Introspection.Hooks;
using System.Net;
using System.Net.Sockets;
using Alkanet.Core.Records;
using Alkanet.Core.Sinks;
using Alkanet.Introspection.Symbols;
using Alkanet.Introspection.TestKit.Boot;
using Alkanet.Vmm.Gdb;

namespace Alkanet.SyntheticBoot.Tests;

/// <summary>End to end with Alkanet's own live hook on the booted guest: QEMU's gdbstub, Windows kernel discovery
/// from the IDT over the wire, hardware breakpoints at KiSystemCall64 and the return site, the Windows decoders.
/// Every call sample.exe makes comes out as an ENTER (and EXIT) record with the expected names and fields.</summary>
public class LiveGdbTraceTests
{
    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_gdbstub_tracer_records_every_call_of_the_sample_with_its_decoded_fields(bool kva)
    {
        using var boot = new QemuBoot();
        QemuBoot.Require();
        var disk = BootDisks.Build(new SyntheticBootOptions { KvaShadow = kva });
        // Where to stop before tracing: the sample's first instruction; with KVA shadow the user CR3 does not map the
        // kernel (discovery needs it), so the first dispatch instead (the tracer's own breakpoint there hits again).
        var attachAt = kva ? disk.Guest.Symbol("KiSystemServiceUser") : disk.SampleEntry;
        disk.WriteDiskImage(boot.DiskPath);
        var port = FreePort();
        using var qemu = boot.Start(extraArguments: ["-S", "-gdb", $"tcp:127.0.0.1:{port}"]);
        var sink = new ListSink();
        using (var client = ConnectWithRetry(port))
        {
            // Stopped at reset: run OVMF and the loader until the sample's first instruction (user mode, its CR3).
            client.SetHardwareBreakpoint(attachAt);
            client.Continue();
            var stop = client.WaitForStop(TimeSpan.FromSeconds(90)) ?? throw new TimeoutException($"the sample never started; serial:\n{qemu.Serial}");
            stop.Kind.ShouldBe(GdbStopKind.Signal, qemu.Serial);
            client.RemoveHardwareBreakpoint(attachAt);
            var decoder = new WindowsOs(new ProfileStore(Path.Combine(Path.GetTempPath(), "alkanet-no-such-profiles")));
            var found = GdbAttach.Discover(client, decoder);
            decoder.Kernel!.KernelBase.ShouldBe(disk.Guest.KernelBase);
            decoder.Kernel!.HookSites!.Exit.ShouldBe(disk.Guest.ExpectedReturnSite);
            decoder.Kernel!.HookSites.Enter.ShouldBe(disk.Guest.ExpectedEnterSite);
            decoder.Kernel!.HookSites.KvaShadow.ShouldBe(kva);
            var summary = new GdbSyscallTracer(client, decoder, sink, new GdbTracerOptions { Duration = TimeSpan.FromSeconds(60) }).Run();
            summary.End.ShouldBe(GdbTraceEnd.TargetExited, qemu.Serial);
            client.Connection.Guard.Refused.ShouldBe(0);
        }
        var result = qemu.Wait(TimeSpan.FromSeconds(30));
        result.Serial.ShouldContain(SyntheticWindowsBootDisk.PowerOffMessage);

        var expected = disk.ExpectedCalls;
        // Every record as the tracer wrote it: a step QEMU reports without leaving the site is stepped again by
        // GdbClient.StepOver, so a call is never reported twice.
        var records = sink.Records;
        records.Where(r => r.LogType == LogType.Enter).Select(r => r.Name).ShouldBe(expected.Select(c => c.Name));
        records.Where(r => r.LogType == LogType.Exit).Select(r => r.Name).ShouldBe(expected.Where(c => c.Returns).Select(c => c.Name));
        records.ShouldAllBe(r => r.Pid == SyntheticWindowsBootDisk.SamplePid && r.Tid == SyntheticWindowsBootDisk.SampleTid && r.ProcName == "sample.exe");
        var enters = records.Where(r => r.LogType == LogType.Enter).ToList();
        var exits = records.Where(r => r.LogType == LogType.Exit).ToList();
        var returning = expected.Where(c => c.Returns).ToList();
        for (var i = 0; i < expected.Count; i++)
            foreach (var (key, value) in expected[i].Enter) enters[i].AdditionalInfo[key].ShouldBe(value, $"{expected[i].Name} ENTER {key}");
        for (var i = 0; i < returning.Count; i++)
        {
            exits[i].RetVal.ShouldBe(returning[i].Status);
            exits[i].AdditionalInfo["unpaired"].ShouldBeNull();
            foreach (var (key, value) in returning[i].Exit) exits[i].AdditionalInfo[key].ShouldBe(value, $"{returning[i].Name} EXIT {key}");
        }
    }

    private static GdbClient ConnectWithRetry(int port)
    {
        for (var attempt = 0; ; attempt++)
        {
            try { return GdbClient.Connect("127.0.0.1", port, new GdbClientOptions { Timeout = TimeSpan.FromSeconds(10) }); }
            catch (Exception e) when (attempt < 50 && e is GdbConnectionException or SocketException or IOException) { Thread.Sleep(100); }
        }
    }

    private sealed class ListSink : IRecordSink
    {
        public List<SyscallRecord> Records { get; } = [];
        public void Write(SyscallRecord record) => Records.Add(record.Clone());
        public void Flush() { }
        public void Dispose() { }
    }
}
