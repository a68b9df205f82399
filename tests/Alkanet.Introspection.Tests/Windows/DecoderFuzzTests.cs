using Alkanet.Introspection.Hooks;
using Alkanet.Core.Records;
using Alkanet.Introspection.Memory;
using Alkanet.Introspection.Windows;

namespace Alkanet.Introspection.Tests.Windows;

/// <summary>Decoders on hostile memory: random argument values (unmapped, kernel, huge), random bytes behind valid
/// pointers, corrupted kernel structures. No exception may escape, every failure is a field value.</summary>
public class DecoderFuzzTests
{
    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public void Random_arguments_to_every_decoded_call_never_throw(int seed)
    {
        var rng = new Random(seed);
        var h = new DecoderHarness();
        var garbage = h.Process.UserAlloc(0x4000);
        var bytes = new byte[0x4000];
        rng.NextBytes(bytes);
        // Sprinkle pointers back into the garbage so decoders follow chains into it.
        for (var i = 0; i < bytes.Length; i += 64) BitConverter.GetBytes(garbage + (ulong)rng.Next(0, 0x4000)).CopyTo(bytes, i);
        h.Process.Tables.Write(garbage, bytes);
        ulong Pick() => rng.Next(7) switch
        {
            0 => 0,
            1 => garbage + (ulong)rng.Next(0, 0x4000),
            2 => 0xFFFF_F800_0000_0000UL + (ulong)rng.NextInt64(0, 1L << 40),
            3 => (ulong)rng.NextInt64(),
            4 => ulong.MaxValue - (ulong)rng.Next(0, 3),
            5 => (ulong)rng.Next(0, 0x400) * 4,
            _ => 0x0000_7FFF_FFFF_F000UL + (ulong)rng.Next(0, 0x2000),
        };
        var record = new SyscallRecord();
        foreach (var name in WindowsCallDecoders.All.Keys)
        {
            if (!h.Kernel.Syscalls!.Table.TryGetNumber(name, out var number)) continue;
            for (var round = 0; round < 20; round++)
            {
                var args = Enumerable.Range(0, 11).Select(_ => Pick()).ToArray();
                var enter = h.Guest.EnterState(h.Thread, number, args);
                h.Decoder.Decode(enter, h.Memory, SiteKind.Enter, record);
                record.Name.ShouldBe(name);
                var exit = h.Guest.ExitState(h.Thread, (uint)rng.Next());
                h.Decoder.Decode(exit, h.Memory, SiteKind.Exit, record);
                foreach (var kv in record.AdditionalInfo) kv.Value.Text.Length.ShouldBeLessThan(20_000, $"{name} {kv.Key}");
            }
        }
    }

    [Fact]
    public void A_corrupted_kpcr_or_thread_yields_a_record_without_caller_not_an_exception()
    {
        var h = new DecoderHarness();
        var s = h.Guest.EnterState(h.Thread, 0x55, 0, 0, 0, 0);
        h.Guest.System.WriteU64(h.Guest.Kpcr + h.Guest.Off("_KPCR", "Prcb") + h.Guest.Off("_KPRCB", "CurrentThread"), 0xFFFF_9999_0000_0000);
        var r = new SyscallRecord();
        h.Decoder.Decode(s, h.Memory, SiteKind.Enter, r).ShouldBeFalse();
        r.Name.ShouldBe("NtCreateFile");
        s.KernelGsBase = 0;
        h.Decoder.Decode(s, h.Memory, SiteKind.Enter, r).ShouldBeFalse();
        h.Decoder.Decode(s, new PagedVirtualMemory(h.Guest.Physical, 0xFFFFF000), SiteKind.Exit, r).ShouldBeFalse();
    }

    [Fact]
    public void A_cyclic_registry_kcb_chain_is_cut_at_its_depth_bound()
    {
        var h = new DecoderHarness();
        var key = h.Guest.AddKey(@"\REGISTRY\MACHINE\LOOP");
        var kcb = 0UL;
        h.Memory.TryReadU64(key + h.Guest.Off("_CM_KEY_BODY", "KeyControlBlock"), out kcb).ShouldBeTrue();
        h.Guest.System.WriteU64(kcb + h.Guest.Off("_CM_KEY_CONTROL_BLOCK", "ParentKcb"), kcb); // points at itself
        var handle = h.Process.AddHandle(key);
        var name = h.Enter("NtClose", handle).AdditionalInfo["object_name"]!;
        name.Split('\\', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(32);
    }

    [Fact]
    public void Warm_decoding_of_a_call_without_strings_allocates_nothing()
    {
        var h = new DecoderHarness();
        var handle = h.Process.AddHandle(h.Guest.AddFile(@"\Temp\log.txt"));
        var enter = h.Guest.EnterState(h.Thread, h.Number("NtClose"), handle);
        var exit = h.Guest.ExitState(h.Thread, 0);
        var alloc = h.Guest.EnterState(h.Thread, h.Number("NtAllocateVirtualMemory"), ulong.MaxValue, h.Process.U64(0), 0, h.Process.U64(0x1000), 0x3000, 0x40);
        var record = new SyscallRecord();
        void Round()
        {
            h.Decoder.Decode(enter, h.Memory, SiteKind.Enter, record);
            h.Decoder.Decode(exit, h.Memory, SiteKind.Exit, record);
            h.Decoder.Decode(alloc, h.Memory, SiteKind.Enter, record);
            h.Decoder.Decode(exit, h.Memory, SiteKind.Exit, record);
        }
        for (var i = 0; i < 100; i++) Round();
        // The runtime may allocate a few bytes once while it re-compiles hot methods (tiered JIT, seen in
        // Release runs); a per-call allocation would show as thousands of bytes per thousand rounds.
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++) Round();
        var perDecode = (GC.GetAllocatedBytesForCurrentThread() - before) / 40_000.0;
        perDecode.ShouldBeLessThan(0.5);
        record.Name.ShouldBe("NtAllocateVirtualMemory");
        record.AdditionalInfo["region_size"].ShouldBe("1000"); // EXIT re-reads the OUT values
    }
}
