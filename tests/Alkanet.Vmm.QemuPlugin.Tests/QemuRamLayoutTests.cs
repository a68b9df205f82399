using Alkanet.Introspection.Memory;
using Alkanet.Vmm.QemuPlugin;

namespace Alkanet.Vmm.QemuPlugin.Tests;

/// <summary>Guest RAM's file as the hook maps it (<c>ram=FILE</c>): where its bytes sit in guest-physical memory.</summary>
public sealed class QemuRamLayoutTests
{
    [Fact]
    public void The_ram_argument_names_the_file_and_an_empty_one_is_refused()
    {
        var args = PluginArguments.Parse(["profile=/p", "ring=/dev/shm/r", "ram=/dev/shm/g.ram"], out var error);
        args.ShouldNotBeNull(error);
        args.RamPath.ShouldBe("/dev/shm/g.ram");
        args.Settings.Values.ContainsKey("ram").ShouldBeFalse();
        PluginArguments.Parse(["ring=/dev/shm/r"], out _)!.RamPath.ShouldBeNull();
        PluginArguments.Parse(["ring=/dev/shm/r", "ram="], out error).ShouldBeNull();
        error.ShouldContain("ram=");
    }

    [Fact]
    public void A_guest_below_the_PCI_hole_is_one_range_at_offset_zero()
    {
        var ranges = QemuRamLayout.Q35(512UL << 20);
        ranges.ShouldBe([new PhysicalRange(0, 0, 512UL << 20)]);
        PhysicalRange.TryMap(ranges, 0x1FFF_F000, 4096, out var offset).ShouldBeTrue();
        offset.ShouldBe(0x1FFF_F000UL);
        PhysicalRange.TryMap(ranges, 0x2000_0000, 1, out _).ShouldBeFalse();
    }

    [Theory]
    [InlineData(0xB000_0000UL, 0x8000_0000UL)] // 2.75 GiB: low memory ends at 2 GiB
    [InlineData(4UL << 30, 0x8000_0000UL)]
    [InlineData(0xA000_0000UL, 0xA000_0000UL)] // 2.5 GiB: all below the hole
    public void A_larger_guest_continues_at_4_GiB_from_where_low_memory_ended_in_the_file(ulong ram, ulong below)
    {
        var ranges = QemuRamLayout.Q35(ram);
        ranges[0].ShouldBe(new PhysicalRange(0, 0, below));
        if (ram == below)
        {
            ranges.Length.ShouldBe(1);
            return;
        }
        ranges[1].ShouldBe(new PhysicalRange(1UL << 32, below, ram - below));
        PhysicalRange.TryMap(ranges, 1UL << 32, 8, out var offset).ShouldBeTrue();
        offset.ShouldBe(below);
        PhysicalRange.TryMap(ranges, below, 8, out _).ShouldBeFalse(); // the PCI hole holds no RAM
    }
}
