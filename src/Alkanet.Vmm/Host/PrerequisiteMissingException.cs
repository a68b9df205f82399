namespace Alkanet.Vmm.Host;

/// <summary>Something the live tracer needs is not installed; the message names it and the command that installs it.</summary>
public sealed class PrerequisiteMissingException(string message) : Exception(message)
{
    /// <summary>The one command that installs every live-tracing prerequisite.</summary>
    public const string InstallCommand = "sudo bash scripts/setup.sh   (or just its step: sudo bash scripts/setup.d/40-qemu.sh)";
}
