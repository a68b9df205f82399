using Alkanet.Introspection.Linux;
using Alkanet.Vmm.Live;

namespace Alkanet.Vmm.Tests.Live;

/// <summary>The hook changes nothing in the guest: the kernel's code in guest RAM (kept in a shared memory file)
/// is byte for byte the same after a traced run and an untraced one, and the hook sites still hold the
/// kernel's own ftrace NOP.</summary>
public sealed class LiveGuestMemoryTests
{
    [Fact]
    public void Kernel_code_bytes_are_identical_with_and_without_tracing()
    {
        var guest = LiveGuest.Require();
        var vmlinux = ElfImage.Load(guest.Vmlinux);
        var text = vmlinux.Section(".text")!;
        // PVH loads the ELF at its physical address: .text's link address minus __START_KERNEL_map.
        const ulong startKernelMap = 0xffffffff80000000;
        var physical = text.Address - startKernelMap;
        var traced = Path.Combine("/dev/shm", $"alkanet-test-ram-traced-{Guid.NewGuid():N}");
        var untraced = Path.Combine("/dev/shm", $"alkanet-test-ram-untraced-{Guid.NewGuid():N}");
        try
        {
            var a = LiveGuest.Run("injector", o => Clone(o, traced, true));
            var b = LiveGuest.Run("injector", o => Clone(o, untraced, false));
            a.Outcome.ShouldBe(RunOutcome.PoweredOff, a.Detail);
            b.Outcome.ShouldBe(RunOutcome.PoweredOff, b.Detail);
            a.Hits.ShouldBeGreaterThan(1000UL);
            var codeA = Read(traced, physical, (int)text.Size);
            var codeB = Read(untraced, physical, (int)text.Size);
            var firstDiff = codeA.AsSpan().CommonPrefixLength(codeB);
            firstDiff.ShouldBe(codeA.Length, $"kernel text differs at physical {physical + (ulong)firstDiff:x}");
            var profile = guest.LoadProfile();
            foreach (var site in profile.Sites)
            {
                var at = (int)(site.LinkAddress - text.Address);
                codeA.AsSpan(at, 5).ToArray().ShouldBe(new byte[] { 0x0f, 0x1f, 0x44, 0x00, 0x00 }, $"{site.Symbol} starts with the ftrace NOP");
            }
        }
        finally
        {
            File.Delete(traced);
            File.Delete(untraced);
        }
    }

    private static TracedRunOptions Clone(TracedRunOptions o, string ram, bool traced) => o with { MemoryFile = ram, Traced = traced };

    private static byte[] Read(string file, ulong offset, int length)
    {
        using var f = File.OpenRead(file);
        f.Position = (long)offset;
        var buf = new byte[length];
        f.ReadExactly(buf);
        return buf;
    }
}
