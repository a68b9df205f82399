using Alkanet.Introspection.Hooks;
using Alkanet.Core.Records;
using Alkanet.Introspection.Memory;
using Alkanet.Introspection.Windows;

namespace Alkanet.Introspection.Tests.Windows;

/// <summary>The path a live run takes with a QEMU shared RAM file: map the file, discover the kernel from the vCPU
/// state alone, decode hits through the page walker.</summary>
public sealed class RamFileEndToEndTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alkanet-ramfile-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void Discover_and_decode_from_a_mapped_ram_file_and_from_a_raw_image()
    {
        var h = new DecoderHarness();
        var file = h.Process.AddHandle(h.Guest.AddFile(@"\Users\u\notes.txt"));
        var enter = h.Guest.EnterState(h.Thread, h.Number("NtClose"), file);
        var path = Path.Combine(_dir, "pc.ram");
        h.Guest.Physical.SaveSparse(path);

        using var mapped = new SharedRamFilePhysicalMemory(path);
        using var raw = new RawImagePhysicalMemory(path);
        foreach (IPhysicalMemory ram in new IPhysicalMemory[] { mapped, raw })
        {
            var kernel = WindowsKernel.Discover(enter, ram, KernelDiscoveryTests.Store);
            kernel.Ok.ShouldBeTrue(kernel.Error);
            kernel.KernelBase.ShouldBe(h.Guest.KernelBase);
            var decoder = new WindowsSyscallDecoder(kernel);
            var memory = new PagedVirtualMemory(ram, enter.Cr3, PagingModes.FromCr4(enter.Cr4));
            var record = new SyscallRecord();
            decoder.Decode(enter, memory, SiteKind.Enter, record).ShouldBeTrue();
            record.Name.ShouldBe("NtClose");
            record.ProcName.ShouldBe("7d317343ffac1b");
            record.AdditionalInfo["object_name"].ShouldBe(@"\Users\u\notes.txt");
        }
    }
}
