using System.Text;
using Alkanet.Vmm.Guest;

namespace Alkanet.Vmm.Tests.Unit;

/// <summary>A Linux sample runs under its own file name (its process is not "run"): the initramfs holds it as
/// /sample/NAME with NAME in /etc/alkanet-sample, which guest/init reads.</summary>
public class SampleNameTests
{
    [Theory]
    [InlineData("dropper", "dropper", "dropper")]
    [InlineData("a-very-long-sample-name.bin", "a-very-long-sample-name.bin", "a-very-long-sam")] // comm keeps 15 bytes
    [InlineData("we ird;name", "run", "run")]
    [InlineData("..", "run", "run")]
    [InlineData(null, "run", "run")]
    public void The_sample_keeps_a_plain_file_name_and_its_process_name_is_the_kernels_15_byte_comm(string? name, string file, string comm)
    {
        AnalysisGuest.SampleFileName(name).ShouldBe(file);
        AnalysisGuest.SampleProcessNameOf(name).ShouldBe(comm);
    }

    [Fact]
    public void The_initramfs_holds_the_sample_under_its_name_and_init_runs_that_file()
    {
        if (!File.Exists(AnalysisGuest.Busybox)) Assert.Skip("busybox-static is not installed");
        var path = Path.Combine(Path.GetTempPath(), $"alkanet-initrd-{Guid.NewGuid():N}.cpio");
        try
        {
            AnalysisGuest.Initramfs(path, [0x7f, (byte)'E', (byte)'L', (byte)'F'], null, "dropper");
            var text = Encoding.Latin1.GetString(File.ReadAllBytes(path));
            text.ShouldContain("sample/dropper\0");
            text.ShouldContain(AnalysisGuest.SampleNameFile + "\0");
            text.ShouldContain("dropper\n");
            text.ShouldNotContain("sample/run\0");
            Encoding.UTF8.GetString(AnalysisGuest.InitScript()).ShouldContain("/etc/alkanet-sample");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
