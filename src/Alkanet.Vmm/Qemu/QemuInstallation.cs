using System.Diagnostics;
using System.Text.RegularExpressions;
using Alkanet.Vmm.Host;

namespace Alkanet.Vmm.Qemu;

/// <summary>Finds QEMU (>= 10.0 for plugin API 4) and the firmware files, or says exactly what is missing.</summary>
public sealed partial class QemuInstallation
{
    public required string Binary { get; init; }
    public required Version Version { get; init; }

    /// <summary>QEMU from <paramref name="binary"/>, $ALKANET_QEMU, or PATH.</summary>
    public static QemuInstallation Find(string? binary = null)
    {
        binary ??= Environment.GetEnvironmentVariable("ALKANET_QEMU") ?? HostTools.FindOnPath("qemu-system-x86_64");
        if (binary is not null && !File.Exists(binary)) binary = null;
        binary = binary
            ?? throw new PrerequisiteMissingException($"qemu-system-x86_64 (QEMU >= 10.0) is not installed; install it with: " +
                $"{PrerequisiteMissingException.InstallCommand}");
        var psi = new ProcessStartInfo(binary, "--version") { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        var m = VersionPattern().Match(text);
        if (!m.Success) throw new
            PrerequisiteMissingException($"{binary} --version printed no version; install QEMU >= 10.0 with: " +
                $"{PrerequisiteMissingException.InstallCommand}");
        var v = new Version(int.Parse(m.Groups[1].Value), int.Parse(m.Groups[2].Value));
        if (v.Major < 10) throw new
            PrerequisiteMissingException($"{binary} is QEMU {v}; the TCG plugin hook needs QEMU >= 10.0 (plugin API 4); install it with: " +
                $"{PrerequisiteMissingException.InstallCommand}");
        return new QemuInstallation { Binary = binary, Version = v };
    }

    /// <summary>OVMF code and variable-store templates (Debian's ovmf package; $ALKANET_OVMF names another folder).</summary>
    public static (string Code, string Vars) Ovmf()
    {
        var dir = Environment.GetEnvironmentVariable("ALKANET_OVMF") is { Length: > 0 } env ? env : "/usr/share/OVMF";
        foreach (var (code, vars) in new[] { ("OVMF_CODE_4M.fd", "OVMF_VARS_4M.fd"), ("OVMF_CODE.fd", "OVMF_VARS.fd") })
        {
            var c = Path.Combine(dir, code);
            var v = Path.Combine(dir, vars);
            if (File.Exists(c) && File.Exists(v)) return (c, v);
        }
        throw new PrerequisiteMissingException($"OVMF (UEFI firmware, {dir}) is not installed; install it with: " +
            $"{PrerequisiteMissingException.InstallCommand}");
    }

    [GeneratedRegex(@"QEMU emulator version (\d+)\.(\d+)")]
    private static partial Regex VersionPattern();
}
