using Alkanet.Introspection.TestKit;
using Alkanet.Core.Records;
using Alkanet.Introspection.Linux;
using FsCheck;
using FsCheck.Fluent;

namespace Alkanet.Introspection.Tests.Linux;

/// <summary>The decoder on random guest memory and random arguments: whatever the bytes, every spec (64-bit and
/// 32-bit layouts) and the EXIT decoding return without throwing, and every value they write has its text.</summary>
public sealed class LinuxDecoderFuzzTests
{
    private static readonly LinuxProfile Profile = SyntheticLinuxGuest.Profile();
    private static readonly string[] Calls = [.. LinuxDecodedCalls.Arguments.Keys.Order(StringComparer.Ordinal)];

    [Fact]
    public void No_memory_and_no_arguments_make_a_spec_throw()
    {
        Prop.ForAll<int, ulong[], bool>((seed, raw, compat) =>
        {
            var rng = new Random(seed);
            var g = new SyntheticLinuxGuest();
            var page = new byte[4096];
            // random bytes over the task, its fd table's neighbourhood and the low user pages the arguments point into
            foreach (var va in new ulong[] { SyntheticLinuxGuest.Task1, 0xffff888003000000, 0x400000, 0x401000, 0x402000 })
            {
                rng.NextBytes(page);
                g.Write(va, page);
            }
            var args = new ulong[6];
            for (var i = 0; i < 6; i++)
                args[i] = i < (raw?.Length ?? 0) && rng.Next(3) == 0 ? raw![i]
                    : rng.Next(3) switch { 0 => 0x400000 + (ulong)rng.Next(0x3000), 1 => (ulong)rng.Next(64), _ => (ulong)rng.NextInt64() };
            var decoder = new LinuxSyscallDecoder(new LinuxTaskReader(Profile), Profile);
            var info = new AdditionalInfo();
            foreach (var name in Calls)
            {
                info.Clear();
                decoder.DecodeEnter(name, args, g, SyntheticLinuxGuest.Task1, info, compat);
                decoder.DecodeExit(name, (ulong)rng.NextInt64(), g, SyntheticLinuxGuest.Task1, info);
                foreach (var (_, value) in info) if (value.Text is null) return false;
            }
            return true;
        }).QuickCheckThrowOnFailure();
    }
}
