using System.Diagnostics;
using Alkanet.Vmm.Host;
using Alkanet.Vmm.Qemu;

namespace Alkanet.SyntheticBoot.Tests;

/// <summary>Boots a disk image under QEMU (q35, TCG, OVMF with a per-run copy of its variable store), serial to a
/// file, until QEMU exits or the timeout passes (then it is killed). Missing QEMU/OVMF skips locally and fails under
/// CI=true, as the other live tests do.</summary>
internal sealed class QemuBoot : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alkanet-synthetic-boot-").FullName;

    public sealed record Result(bool Exited, int ExitCode, string Serial, TimeSpan Elapsed, string Stderr);

    public static (QemuInstallation Qemu, string OvmfCode, string OvmfVars) Require()
    {
        try
        {
            var qemu = QemuInstallation.Find();
            var (code, vars) = QemuInstallation.Ovmf();
            return (qemu, code, vars);
        }
        catch (PrerequisiteMissingException e)
        {
            if (Environment.GetEnvironmentVariable("CI") == "true") Assert.Fail("live boot prerequisite missing under CI: " + e.Message);
            Assert.Skip("live boot prerequisite missing: " + e.Message);
            throw;
        }
    }

    public string DiskPath => Path.Combine(_dir, "synthetic-windows.img");

    public Result Run(TimeSpan timeout, int memoryMiB = 512, int cpus = 1, IEnumerable<string>? extraArguments = null)
    {
        using var p = Start(memoryMiB, cpus, extraArguments);
        return p.Wait(timeout);
    }

    /// <summary>A started QEMU; <see cref="Running.Wait"/> collects the result (killing QEMU after the timeout).</summary>
    public sealed class Running(Process p, string serial) : IDisposable
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly Task<string> _stderr = p.StandardError.ReadToEndAsync();
        private readonly Task<string> _stdout = p.StandardOutput.ReadToEndAsync();

        public string Serial => File.Exists(serial) ? File.ReadAllText(serial) : "";

        public Result Wait(TimeSpan timeout)
        {
            var exited = p.WaitForExit(timeout);
            if (!exited) p.Kill(entireProcessTree: true);
            p.WaitForExit();
            _clock.Stop();
            _ = _stdout.Result;
            return new Result(exited, exited ? p.ExitCode : -1, Serial, _clock.Elapsed, _stderr.Result);
        }

        public void Dispose()
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            p.Dispose();
        }
    }

    public Running Start(int memoryMiB = 512, int cpus = 1, IEnumerable<string>? extraArguments = null)
    {
        var (qemu, code, varsTemplate) = Require();
        var vars = Path.Combine(_dir, "OVMF_VARS.fd");
        File.Copy(varsTemplate, vars, overwrite: true);
        var serial = Path.Combine(_dir, "serial.log");
        File.Delete(serial);
        var psi = new ProcessStartInfo(qemu.Binary) { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in new[]
        {
            "-machine", "q35", "-accel", "tcg,thread=multi", "-m", memoryMiB.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-smp", cpus.ToString(System.Globalization.CultureInfo.InvariantCulture), "-display", "none", "-monitor", "none", "-no-reboot", "-nic", "none",
            "-serial", "file:" + serial,
            "-drive", $"if=pflash,format=raw,unit=0,readonly=on,file={code}", "-drive", $"if=pflash,format=raw,unit=1,file={vars}",
            "-drive", $"file={DiskPath},format=raw,if=ide",
        }.Concat(extraArguments ?? []))
            psi.ArgumentList.Add(a);
        var p = Process.Start(psi) ?? throw new InvalidOperationException("qemu did not start");
        return new Running(p, serial);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); }
        catch (IOException) { }
    }
}
