namespace Alkanet.Vmm.Host;

/// <summary>Finds the host's programs (QEMU, setpriv, xz, gcc) on PATH; shared by the QEMU launcher and the guest
/// builder, so neither folder depends on the other for it.</summary>
public static class HostTools
{
    public static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':'))
        {
            var p = Path.Combine(dir, name);
            if (File.Exists(p)) return p;
        }
        return null;
    }
}
