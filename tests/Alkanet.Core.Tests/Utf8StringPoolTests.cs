using System.Text;
using Alkanet.Core.Json;
using FsCheck;
using FsCheck.Fluent;

namespace Alkanet.Core.Tests;

/// <summary>The reader's name pool: its recent-spelling cache (keyed by a hash of the bytes) never returns another
/// spelling's string, however the hashes collide, and a repeated spelling is one shared string.</summary>
public class Utf8StringPoolTests
{
    [Fact]
    public void Any_mix_of_spellings_decodes_each_to_its_own_text_and_repeats_share_one_string()
    {
        var spelling = from len in Gen.Choose(0, 140)
                       from seed in Gen.Choose(0, int.MaxValue)
                       select Spelling(len, seed);
        Prop.ForAll(spelling.ListOf().ToArbitrary(), names =>
        {
            var pool = new Utf8StringPool();
            var first = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var name in names.Concat(names))
            {
                var bytes = Encoding.UTF8.GetBytes(name);
                var s = pool.Get(bytes);
                s.ShouldBe(name);
                if (bytes.Length is > 0 and <= 128)
                {
                    if (first.TryGetValue(name, out var earlier)) ReferenceEquals(s, earlier).ShouldBeTrue($"'{name}' pooled once");
                    else first[name] = s;
                }
            }
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Spellings_that_share_their_length_and_both_ends_are_told_apart()
    {
        var pool = new Utf8StringPool();
        // same length, same first and last 8 bytes: the same cache slot, different texts
        var names = Enumerable.Range(0, 200).Select(i => $"ABCDEFGH{i:D5}ZYXWVUTS").ToList();
        for (var round = 0; round < 3; round++)
            foreach (var n in names) pool.Get(Encoding.UTF8.GetBytes(n)).ShouldBe(n);
    }

    private static string Spelling(int length, int seed)
    {
        var rng = new Random(seed);
        var sb = new StringBuilder();
        // few distinct spellings (repeats) with shared prefixes and suffixes, some multi-byte
        for (var i = 0; i < length; i++) sb.Append(rng.Next(8) == 0 ? 'é' : (char)('a' + rng.Next(3)));
        return sb.ToString();
    }
}
