namespace Alkanet.Introspection.Hooks;

/// <summary>The plugin's capture arguments, read the same way by every guest OS (docs/EVIDENCE.md): <c>capture=on|all|sample</c>
/// turns the capture of written bytes on, <c>capture_call=BYTES</c> is the per-call cap.</summary>
public static class CaptureSettings
{
    /// <summary>Bytes of a write's buffer captured per call by default (<c>data</c>, base64), and the most
    /// <c>capture_call=BYTES</c> may ask: a record then stays within the logger's frame (8 MiB) once base64 and within a
    /// quarter of the default ring, which spreads a record too large for one slot over consecutive slots (TraceRing.Spans).</summary>
    public const int DefaultCallBytes = 1 << 20, MaxCallBytes = 4 << 20;

    /// <summary>True for <c>capture=on</c> (or 1, true), <c>capture=all</c> and <c>capture=sample</c>.</summary>
    public static bool IsOn(GuestOsSettings settings) => settings.IsOn("capture") || settings.Get("capture") is "all" or "sample";

    /// <summary>The per-call cap: <c>capture_call=BYTES</c> (1 to <see cref="MaxCallBytes"/>), else <see cref="DefaultCallBytes"/>.</summary>
    public static int CallBytes(GuestOsSettings settings) => settings.Get("capture_call") is not { } perCall ? DefaultCallBytes
        : int.TryParse(perCall, out var n) && n is > 0 and <= MaxCallBytes ? n
        : throw new ArgumentException($"capture_call={perCall}: a byte count from 1 to {MaxCallBytes}");
}
