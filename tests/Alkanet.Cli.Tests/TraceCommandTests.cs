using Alkanet.Introspection.Hooks;
using Alkanet.Cli;
using Alkanet.Cli.Commands;
using Alkanet.Core.Json;
using Alkanet.Core.Records;
using Alkanet.Vmm.Qmp;
using Alkanet.Vmm.Tests.Gdb;
using Alkanet.Vmm.Tests.Gdb.Fakes;
using Alkanet.Vmm.Tests.Gdb.Live;
using static Alkanet.Cli.Tests.CliRunner;

namespace Alkanet.Cli.Tests;

public sealed class TraceCommandTests
{
    [Theory]
    [InlineData("--gdb", "nohostport", "--os", "linux")]
    [InlineData("--gdb", "localhost:99999", "--os", "linux")]
    [InlineData("--gdb", "localhost:1234", "--os", "linux", "--duration", "soon")]
    [InlineData("--gdb", "localhost:1234")]
    [InlineData("--gdb", "localhost:1234", "--os", "linux", "--vmlinux", "vmlinux")]
    [InlineData("--gdb", "localhost:1234", "--os", "linux", "--profile", "p.txt", "--vmlinux", "v", "--kallsyms", "k")]
    public void Bad_command_lines_are_usage_errors(params string[] args) => Run(["trace", .. args]).ExitCode.ShouldBe(ExitCodes.Usage);

    [Fact]
    public void An_os_without_a_profile_in_this_build_fails_clearly()
    {
        var (code, _, err) = Run("trace", "--gdb", "127.0.0.1:9", "--os", "plan9");
        code.ShouldBe(ExitCodes.Failure);
        err.ShouldContain("unknown OS");
        err.ShouldContain("known: linux, ");
        err.ShouldContain("windows");
    }

    [Theory]
    [InlineData("windows")]
    [InlineData("linux")]
    public void Built_in_oses_report_only_the_missing_stub(string os)
    {
        var (code, _, err) = Run("trace", "--gdb", "127.0.0.1:9", "--os", os, "--timeout", "2s");
        code.ShouldBe(ExitCodes.Failure);
        err.ShouldContain("127.0.0.1:9");
        err.ShouldNotContain("not part of this build");
    }

    [Fact]
    public void Nobody_at_the_gdb_address_fails_naming_it()
    {
        int port;
        using (var server = new FakeRspServer(GdbTestKit.LinuxLikeTarget())) port = server.Port;
        GuestOsRegistry.Register("test-refused", _ => new LinuxTestOs(GdbTestKit.EntrySite, GdbTestKit.ExitSite));
        var (code, _, err) = Run("trace", "--gdb", $"127.0.0.1:{port}", "--os", "test-refused", "--timeout", "2s");
        code.ShouldBe(ExitCodes.Failure);
        err.ShouldContain($"127.0.0.1:{port}");
    }

    /// <summary>A profile that names no sites.</summary>
    private sealed class NoSites() : Alkanet.Vmm.Tests.Gdb.KnownSitesOs("test-nosites", [])
    {
        public override bool OnHit(in HookSite site, in Alkanet.Introspection.Cpu.VcpuState state,
            Alkanet.Introspection.Memory.IVirtualMemory memory, SyscallRecord record) => false;
    }

    [Fact]
    public void A_profile_without_sites_fails_cleanly_and_writes_no_file()
    {
        using var server = new FakeRspServer(GdbTestKit.LinuxLikeTarget());
        GuestOsRegistry.Register("test-nosites", _ => new NoSites());
        var dir = Directory.CreateTempSubdirectory("alkanet-trace-").FullName;
        try
        {
            var file = Path.Combine(dir, "trace.jsonl");
            var (code, _, err) = Run("trace", "--gdb", $"127.0.0.1:{server.Port}", "--os", "test-nosites", "--out", file);
            code.ShouldBe(ExitCodes.Failure);
            err.ShouldContain("names no hook sites");
            File.Exists(file).ShouldBeFalse();
            server.Detached.ShouldBeTrue();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_stub_lost_mid_run_fails_and_keeps_the_records_so_far_in_the_partial_file_only()
    {
        var target = GdbTestKit.LinuxLikeTarget();
        for (var i = 0; i < 5; i++) target.Script.Enqueue(new ScriptedHit(0, GdbTestKit.At(GdbTestKit.EntrySite, rsi: 1)));
        // The third 'm' of pt_regs (the decoder's read at the third hit) never gets its whole reply.
        using var server = new FakeRspServer(target, new FakeRspFaults { DisconnectMidReplyOn = $"m{GdbTestKit.PtRegs:x},a8", DisconnectAfterMatches = 3 });
        GuestOsRegistry.Register("test-lost", _ => new LinuxTestOs(GdbTestKit.EntrySite, GdbTestKit.ExitSite));
        var dir = Directory.CreateTempSubdirectory("alkanet-trace-").FullName;
        try
        {
            var file = Path.Combine(dir, "trace.jsonl");
            var (code, _, err) = Run("trace", "--gdb", $"127.0.0.1:{server.Port}", "--os", "test-lost", "--out", file, "--timeout", "2s");
            code.ShouldBe(ExitCodes.Failure);
            err.ShouldContain("closed the connection");
            err.ShouldContain(file + ".partial");
            File.Exists(file).ShouldBeFalse();
            RecordFiles.ReadAll(file + ".partial").Select(r => r.No).ShouldBe([1L, 2L]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Traces_a_simulated_vm_into_a_file_and_detaches()
    {
        var target = GdbTestKit.LinuxLikeTarget();
        target.Memory.WriteUInt64(GdbTestKit.PtRegs + 15 * 8, 1);
        for (var i = 0; i < 10; i++)
        {
            target.Script.Enqueue(new ScriptedHit(i % 2, GdbTestKit.At(GdbTestKit.EntrySite, rsi: 1)));
            target.Script.Enqueue(new ScriptedHit(i % 2, GdbTestKit.At(GdbTestKit.ExitSite)));
        }
        target.ExitWhenScriptEnds = false;
        using var server = new FakeRspServer(target);
        GuestOsRegistry.Register("test-fake", _ => new LinuxTestOs(GdbTestKit.EntrySite, GdbTestKit.ExitSite));
        var dir = Directory.CreateTempSubdirectory("alkanet-trace-").FullName;
        try
        {
            var file = Path.Combine(dir, "trace.jsonl");
            var (code, _, err) = Run("trace", "--gdb", $"127.0.0.1:{server.Port}", "--os", "test-fake", "--out", file, "--max-hits", "20");
            code.ShouldBe(ExitCodes.Ok, err);
            err.ShouldContain("hitlimit: 20 records from 20 hits");
            var records = RecordFiles.ReadAll(file);
            records.Select(r => r.No).ShouldBe(Enumerable.Range(1, 20).Select(i => (long)i));
            records.Count(r => r.IsEnter).ShouldBe(10);
            File.Exists(file[..^6] + ".jsonl.partial").ShouldBeFalse();
            server.Detached.ShouldBeTrue();
            server.Received.Where(GdbTestKit.IsWritePacket).ShouldAllBe(p => p.StartsWith("P10=", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    [Trait("Category", "Live")]
    public void Traces_a_real_qemu_vm_and_leaves_it_running()
    {
        GdbstubGuest.SkipUnlessAvailable();
        string marker;
        var dir = Directory.CreateTempSubdirectory("alkanet-trace-").FullName;
        try
        {
            using (var guest = GdbstubGuest.Start())
            {
                marker = guest.Marker;
                GuestOsRegistry.Register("test-live", _ => new LinuxTestOs(guest.Kallsyms["x64_sys_call"], guest.Kallsyms["syscall_exit_to_user_mode_prepare"]));
                var file = Path.Combine(dir, "trace.jsonl.gz");
                var (code, _, err) = Run("trace", "--gdb", $"127.0.0.1:{guest.GdbPort}", "--qmp", "unix:" + guest.QmpPath,
                    "--os", "test-live", "--out", file, "--max-hits", "100", "--timeout", "10s");
                code.ShouldBe(ExitCodes.Ok, err);
                err.ShouldContain("QMP: QEMU 10.");
                err.ShouldContain("QMP: VM running"); // detached: the VM runs on
                var records = RecordFiles.ReadAll(file);
                records.Count.ShouldBe(100);
                records.Select(r => r.No).ShouldBe(Enumerable.Range(1, 100).Select(i => (long)i));
                using var qmp = QmpClient.Connect("unix:" + guest.QmpPath);
                qmp.Status().ShouldBe("running");
            }
            GdbstubGuest.Survivors(marker).ShouldBeEmpty();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
