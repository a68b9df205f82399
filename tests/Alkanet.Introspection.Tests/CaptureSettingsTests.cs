using Alkanet.Introspection.Hooks;

namespace Alkanet.Introspection.Tests;

/// <summary>The plugin's capture arguments as every guest OS reads them: <c>alkanet run</c> passes <c>capture=all</c> or
/// <c>capture=sample</c> with <c>capture_call=BYTES</c>, and the Windows hook must take them as the Linux one does.</summary>
public sealed class CaptureSettingsTests
{
    private static GuestOsSettings S(params (string Key, string Value)[] pairs) => new(pairs.ToDictionary(p => p.Key, p => p.Value));

    [Theory]
    [InlineData("on", true)]
    [InlineData("all", true)]
    [InlineData("sample", true)]
    [InlineData("off", false)]
    [InlineData("", false)]
    public void Capture_is_on_for_on_all_and_sample(string value, bool on) => CaptureSettings.IsOn(S(("capture", value))).ShouldBe(on);

    [Fact]
    public void The_per_call_cap_defaults_to_1_MiB_and_rejects_what_a_record_cannot_carry()
    {
        CaptureSettings.CallBytes(S()).ShouldBe(1 << 20);
        CaptureSettings.CallBytes(S(("capture_call", "65536"))).ShouldBe(65536);
        Should.Throw<ArgumentException>(() => CaptureSettings.CallBytes(S(("capture_call", "0")))).Message.ShouldContain("capture_call=0");
        Should.Throw<ArgumentException>(() => CaptureSettings.CallBytes(S(("capture_call", (5 << 20).ToString()))));
        Should.Throw<ArgumentException>(() => CaptureSettings.CallBytes(S(("capture_call", "1M"))));
    }
}
