using Alkanet.Vmm.Guest;
using Alkanet.Introspection.Hooks;
using System.Globalization;
using System.Text.RegularExpressions;
using Alkanet.Cli;
using Alkanet.Core.Json;
using Alkanet.Core.Records;
using Alkanet.Introspection.Linux;
using Alkanet.Vmm.Gdb;
using Alkanet.Vmm.Qmp;
using Alkanet.Vmm.Tests.Gdb;
using Alkanet.Vmm.Tests.Gdb.Live;
using static Alkanet.Cli.Tests.CliRunner;

namespace Alkanet.Cli.Tests;

/// <summary><c>alkanet trace --os linux</c> against a real QEMU booting Debian's kernel WITH KASLR (the bzImage's
/// decompressor randomises), with the live tracer's profile of that kernel from the cache: the slide is found over
/// the wire, the records carry real pids, process names, the kernel's call names and decoded paths, the file
/// validates, and the wire shows no write but the verified RIP steps.</summary>
public sealed class TraceLinuxTests
{
    private const string KnownPath = "/tmp/alkanet-gdb-known";

    /// <summary>The analysis guest's cached profile (derived from the cached vmlinux + kallsyms if needed), or a skip.</summary>
    private static LinuxProfile CachedProfileOrSkip()
    {
        try
        {
            return LinuxProfileSource.Resolve(null, null, null, AlkanetPaths.LinuxGuest()).Profile;
        }
        catch (InvalidOperationException ex)
        {
            if (Environment.GetEnvironmentVariable("CI") == "true") Assert.Fail(ex.Message);
            Assert.Skip(ex.Message);
            throw;
        }
    }

    [Fact]
    public void A_bad_profile_file_fails_naming_its_line_and_detaches()
    {
        var dir = Directory.CreateTempSubdirectory("alkanet-trace-linux-").FullName;
        try
        {
            var bad = Path.Combine(dir, "profile.txt");
            File.WriteAllText(bad, "release 6.1\nsite Enter64 x64_sys_call nothex 00\n");
            using var server = new Alkanet.Vmm.Tests.Gdb.Fakes.FakeRspServer(GdbTestKit.LinuxLikeTarget());
            var (code, _, err) = Run("trace", "--gdb", $"127.0.0.1:{server.Port}", "--os", "linux", "--profile", bad, "--timeout", "2s");
            code.ShouldBe(ExitCodes.Failure);
            err.ShouldContain($"--os linux: Linux profile {bad}:2:");
            server.Detached.ShouldBeTrue(); // the VM runs on
            server.Received.Where(GdbTestKit.IsWritePacket).ShouldBeEmpty();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    [Trait("Category", "Live")]
    public void Traces_a_kaslr_linux_vm_with_the_real_profile()
    {
        GdbstubGuest.SkipUnlessAvailable();
        var profile = CachedProfileOrSkip();
        string marker;
        var dir = Directory.CreateTempSubdirectory("alkanet-trace-linux-").FullName;
        try
        {
            using (var guest = GdbstubGuest.Start($"echo alkanet-known > {KnownPath}; while true; do cat {KnownPath} > /dev/null; done", kaslr: true))
            {
                marker = guest.Marker;
                var slide = guest.Kallsyms["x64_sys_call"] - profile.Site(SiteKind.Enter).LinkAddress;

                // A profile of another build (one fingerprint changed) is refused, and the VM runs on.
                var wrong = Path.Combine(dir, "wrong-profile.txt");
                profile.Save(wrong);
                var other = LinuxProfile.Load(wrong);
                other.Site(SiteKind.Exit).Fingerprint[0] ^= 0xff;
                other.Save(wrong);
                var refused = Run("trace", "--gdb", $"127.0.0.1:{guest.GdbPort}", "--os", "linux", "--profile", wrong, "--max-hits", "10", "--timeout", "10s");
                refused.ExitCode.ShouldBe(ExitCodes.Failure, refused.Err);
                refused.Err.ShouldContain("is not the one of the Linux profile " + wrong);
                refused.Err.ShouldContain("syscall_exit_to_user_mode_prepare");
                using (var qmp = QmpClient.Connect("unix:" + guest.QmpPath)) qmp.Status().ShouldBe("running");

                var file = Path.Combine(dir, "trace.jsonl.gz");
                const int hits = 400;
                string err;
                IReadOnlyList<string> sent;
                using (var tap = new RspTapProxy(guest.GdbPort))
                {
                    var (code, _, e) = Run("trace", "--gdb", $"127.0.0.1:{tap.Port}", "--qmp", "unix:" + guest.QmpPath,
                        "--os", "linux", "--out", file, "--max-hits", hits.ToString(CultureInfo.InvariantCulture), "--timeout", "30s");
                    err = e;
                    code.ShouldBe(ExitCodes.Ok, err);
                    sent = tap.Packets;
                }
                err.ShouldContain($"linux: KASLR slide 0x{slide:x} (x64_sys_call at 0x{guest.Kallsyms["x64_sys_call"]:x}");
                err.ShouldContain($"x64_sys_call@0x{guest.Kallsyms["x64_sys_call"]:x} (ENTER)");
                err.ShouldContain($"syscall_exit_to_user_mode_prepare@0x{guest.Kallsyms["syscall_exit_to_user_mode_prepare"]:x} (EXIT)");
                err.ShouldContain("QMP: VM running");

                var records = RecordFiles.ReadAll(file);
                records.Count.ShouldBe(hits);
                records.Select(r => r.No).ShouldBe(Enumerable.Range(1, hits).Select(i => (long)i));
                records.ShouldAllBe(r => r.Pid > 0 && r.ProcName != "");
                var cat = records.Where(r => r.ProcName == "cat").ToList();
                cat.ShouldNotBeEmpty();
                cat.Where(r => r.LogType == LogType.Enter).ShouldAllBe(r => !r.Name.StartsWith("unknown_", StringComparison.Ordinal));
                var opens = cat.Where(r => r.LogType == LogType.Enter && r.Name == "openat" && r.AdditionalInfo["path"] == KnownPath).ToList();
                opens.ShouldNotBeEmpty();
                var open = opens[0];
                open.SysNo.ShouldBe(257UL);
                open.Args.Length.ShouldBe(6);
                // its EXIT: same task, the call's name, a file descriptor
                var exit = records.First(r => r.No > open.No && r.Tid == open.Tid && r.LogType == LogType.Exit);
                exit.Name.ShouldBe("openat");
                exit.Pid.ShouldBe(open.Pid);
                ((long)exit.RetVal).ShouldBeGreaterThanOrEqualTo(0);
                exit.AdditionalInfo["unpaired"].ShouldBeNull();
                records.Where(r => r.LogType == LogType.Exit && r.AdditionalInfo["unpaired"] is null).ShouldNotBeEmpty();
                records.Select(r => r.Pid).Distinct().Count().ShouldBeGreaterThan(1); // the shell and its cat children

                var validate = Run("log", "validate", file);
                validate.ExitCode.ShouldBe(ExitCodes.Ok, validate.Err + validate.Out);

                // The wire: every write is P10=SITE+5 right after the m SITE,5 check, as many as the RIP steps reported.
                var ripSteps = int.Parse(Regex.Match(err, @"(\d+) RIP steps").Groups[1].Value, CultureInfo.InvariantCulture);
                var writes = sent.Select((p, i) => (p, i)).Where(x => GdbTestKit.IsWritePacket(x.p)).ToList();
                writes.Count.ShouldBe(ripSteps);
                var siteAddresses = new[] { "x64_sys_call", "syscall_exit_to_user_mode_prepare", "ia32_sys_call" }
                    .Select(s => profile.Sites.First(x => x.Symbol == s).LinkAddress + slide).ToList();
                foreach (var (p, i) in writes)
                {
                    p.ShouldStartWith("P10=");
                    var check = sent[i - 1];
                    check.ShouldStartWith("m");
                    var site = ulong.Parse(check[1..check.IndexOf(',', StringComparison.Ordinal)], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    siteAddresses.ShouldContain(site);
                    check.ShouldEndWith(",5");
                    // the value is little-endian hex of site + 5
                    var value = Convert.FromHexString(p[4..]);
                    BitConverter.ToUInt64(value.Concat(new byte[8]).Take(8).ToArray()).ShouldBe(site + 5);
                }
            }
            GdbstubGuest.Survivors(marker).ShouldBeEmpty();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
