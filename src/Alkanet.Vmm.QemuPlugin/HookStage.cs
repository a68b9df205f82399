namespace Alkanet.Vmm.QemuPlugin;

/// <summary>How far a hit goes (argument <c>stage=</c>): the bench scripts (bench/live-getppid.sh,
/// bench/live-windows-synthetic.sh) measure each stage's cost by running them in turn.</summary>
public enum HookStage
{
    /// <summary>The callback runs and counts the hit, nothing more.</summary>
    Hit,

    /// <summary>Registers read and the record decoded, not written.</summary>
    Decode,

    /// <summary>Decoded and written into the ring (the default).</summary>
    Full,
}
