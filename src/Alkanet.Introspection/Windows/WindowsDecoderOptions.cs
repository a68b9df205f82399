using Alkanet.Introspection.Hooks;

namespace Alkanet.Introspection.Windows;

public sealed class WindowsDecoderOptions
{
    /// <summary>Only the fields the original Alkanet logged (e.g. NtCreateFile: desired_access and file_name, no
    /// <c>_names</c>), to compare with the paper's records.</summary>
    public bool OriginalFieldsOnly { get; init; }

    /// <summary>Fill the record's <c>args</c> with the raw argument values at ENTER.</summary>
    public bool CaptureArgs { get; init; }

    /// <summary>The bytes of NtWriteFile and NtWriteVirtualMemory buffers as <c>data</c> (<see cref="WindowsWriteCapture"/>; the
    /// plugin's <c>capture=on</c>).</summary>
    public bool CaptureWrites { get; init; }

    /// <summary>The per-call cap of <see cref="CaptureWrites"/> (the plugin's <c>capture_call=BYTES</c>), as on Linux: a record
    /// too large for one ring slot spreads over consecutive slots, so nothing is cut below this.</summary>
    public int CaptureCallBytes { get; init; } = CaptureSettings.DefaultCallBytes;

    /// <summary>Cap on one string read from the guest, in bytes.</summary>
    public int MaxStringBytes { get; init; } = 2048;
}
