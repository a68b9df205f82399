using System.Diagnostics;
using Alkanet.Vmm.Live;

namespace Alkanet.Vmm.Tests.Live;

/// <summary>A real 32-bit process (an i386 ELF, compat mode) under the live tracer: its int 0x80 calls are named
/// from the i386 table, decoded with 32-bit pointers and marked abi=ia32, like int 0x80 from 64-bit code
/// (samples/int80, <see cref="LiveSampleTests"/>).</summary>
public sealed class LiveIa32ProcessTests
{
    /// <summary>gcc -m32 without a 32-bit libc: the fixture has its own _start and makes raw calls.</summary>
    private static byte[] BuildPure32()
    {
        var source = Path.Combine(LiveGuest.Repo, "tests/Alkanet.Vmm.Tests/Fixtures/pure32.c");
        var output = Path.Combine(Path.GetTempPath(), $"alkanet-pure32-{Guid.NewGuid():N}");
        var psi = new ProcessStartInfo("gcc") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-m32", "-static", "-nostdlib", "-nostartfiles", "-O2", "-Wall", "-o", output, source }) psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            p.ExitCode.ShouldBe(0, $"gcc -m32 failed: {err.Result}");
            return File.ReadAllBytes(output);
        }
        finally { File.Delete(output); }
    }

    [Fact]
    public void A_32_bit_process_is_traced_with_i386_names_and_compat_decoding()
    {
        LiveGuest.Require();
        var r = LiveGuest.Run("pure32", null, BuildPure32());
        r.Outcome.ShouldBe(RunOutcome.PoweredOff, r.Detail);
        r.SampleExitStatus.ShouldBe(0);
        r.PluginErrors.ShouldBe(0UL);
        var t = Trace.Load(r.TracePath);
        t.ShouldBeGapFree();
        (string, string) ia32 = ("abi", "ia32");
        // the path is in a file-backed page the process has not touched yet: unreadable at ENTER, read again at EXIT
        var open = t.Find("run", "open", ia32, ("flags_names", "O_WRONLY|O_CREAT|O_TRUNC"), ("mode", "600"));
        var openExit = t.ExitOf(open)!;
        openExit.AdditionalInfo["path"].ShouldBe("/tmp/pure32.txt");
        openExit.AdditionalInfo["fd_path"].ShouldBe("/tmp/pure32.txt");
        var fd = openExit.AdditionalInfo["out_handle"]!;
        t.Find("run", "write", ia32, ("fd", fd), ("fd_path", "/tmp/pure32.txt"), ("size", "16"));
        t.Find("run", "chmod", ia32, ("path", "/tmp/pure32.txt"), ("mode", "700"));
        t.Find("run", "socket", ia32, ("via", "socketcall"), ("family", "AF_INET"), ("type", "2"));
        t.Find("run", "exit_group", ia32, ("status", "0")).SysNo.ShouldBe(252UL);
        // the whole process is compat: the exec that started it is the only 64-bit call it shows
        t.Records.Where(x => x.ProcName == "run" && x.SysNo != 59).ShouldAllBe(x => x.AdditionalInfo["abi"] == "ia32");
    }
}
