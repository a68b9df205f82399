using Alkanet.Vmm.Guest;
using Alkanet.Vmm.Host;
using Alkanet.Vmm.Live;
using Alkanet.Vmm.Qemu;

namespace Alkanet.Farm.Tests;

/// <summary>The live tests need QEMU, the plugin and the Linux guest (or OVMF for an image): skipped without them,
/// failed under CI, where setup installs them.</summary>
internal static class LivePrerequisites
{
    public static void Require(bool ovmf)
    {
        string? missing = null;
        try
        {
            var qemu = QemuInstallation.Find();
            if (ovmf) QemuInstallation.Ovmf();
            else AnalysisGuest.Prepare(qemu);
            PluginLocator.Locate();
        }
        catch (PrerequisiteMissingException e)
        {
            missing = e.Message;
        }
        if (missing is null) return;
        if (Environment.GetEnvironmentVariable("CI") == "true") Assert.Fail("live-tracing prerequisite missing under CI: " + missing);
        Assert.Skip("live-tracing prerequisite missing: " + missing);
    }
}
