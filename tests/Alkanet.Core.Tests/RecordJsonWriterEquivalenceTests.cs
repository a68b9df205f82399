using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Alkanet.Core.Json;
using Alkanet.Core.Records;
using FsCheck;
using FsCheck.Fluent;

namespace Alkanet.Core.Tests;

/// <summary>The hand-written <see cref="RecordJsonWriter"/> against the Utf8JsonWriter it replaced
/// (<see cref="RecordJsonWriterOracle"/>): the same bytes for any record, hostile strings included.</summary>
public class RecordJsonWriterEquivalenceTests
{
    // pieces a hostile string is made of: plain ASCII, JSON's special characters, controls, DEL, non-ASCII letters,
    // characters the relaxed encoder still escapes (U+2028, U+FEFF, private use), emoji (surrogate pairs)
    private static readonly string[] Pieces =
    [
        "a", "openat", "/tmp/x y", "<&>'+`", "\"", "\\", "\n", "\r", "\t", "\b", "\f", "\u0000", "\u0001", "\u001f", "\u007f",
        "\u0080", "\u00ff", "ï", "é", "Ü", "中文", "\u2028", "\u2029", "\u200b", "\ufeff", "\ue000", "\ufffd", "\uffff", "😀",
        "\U0001F600x", "\u0378",
    ];

    private static readonly Gen<string> Hostile =
        Gen.OneOf(
            Gen.Elements(Pieces).ListOf().Select(l => string.Concat(l)),
            Gen.Elements(Pieces).ListOf().Select(l => string.Concat(l)),
            ArbMap.Default.GeneratorFor<NonNull<string>>().Select(s => s.Get),
            Gen.Choose(100, 5000).SelectMany(n => Gen.Elements(Pieces).Select(p => string.Concat(Enumerable.Repeat(p, n / p.Length + 1)))),
            Gen.Elements("", "syscall", "loss", "NtCreateFile", "7d317343ffac1b"));

    // lone surrogates: the old writer refused them where it pre-encoded names (JsonEncodedText) and in raw JSON
    private static readonly Gen<string> WithLoneSurrogate =
        Hostile.SelectMany(s => Gen.Elements("\ud800", "\udfff", "a\ud83d").Select(x => s + x));

    private static readonly Gen<string> RawJson =
        Gen.OneOf(
            Gen.Elements("1", "-2.5e3", "true", "null", "{}", "[]", "{\"k\":[1,{\"x\":\"y\"}]}"),
            Hostile.ListOf().Select(items => RecordJsonWriter.StringArray(items.Select(InfoValue.String).ToList()).Text));

    private static readonly Gen<InfoValue> Value =
        Gen.OneOf(
            Hostile.Select(InfoValue.String),
            RawJson.Select(InfoValue.Json),
            from text in Hostile from at in ArbMap.Default.GeneratorFor<ulong>() select InfoValue.Unreadable(at, text),
            from json in RawJson from at in ArbMap.Default.GeneratorFor<ulong>() select new InfoValue(json, InfoValueKind.PartlyUnreadableJson, at));

    private static Gen<T?> Maybe<T>(Gen<T> g) where T : struct => Gen.OneOf(Gen.Constant<T?>(null), g.Select(v => (T?)v));

    private static Gen<SyscallRecord> Records(Gen<string> strings)
    {
        var ulongs = ArbMap.Default.GeneratorFor<ulong>();
        var longs = ArbMap.Default.GeneratorFor<long>();
        return
            from no in longs
            from cpu in ArbMap.Default.GeneratorFor<int>()
            from type in Gen.Elements(LogType.Enter, LogType.Exit, LogType.Loss)
            from ids in ulongs.ArrayOf(4)
            from procName in strings
            from name in strings
            from kind in strings
            from info in (from key in strings from value in Value select (key, value)).ListOf()
            from ts in Maybe(longs)
            from ppid in Maybe(ulongs)
            from seq in Maybe(longs)
            from cr3 in Maybe(ulongs)
            from args in Gen.Choose(0, 6).SelectMany(n => ulongs.ArrayOf(n))
            from extra in Gen.OneOf(
                Gen.Constant<List<KeyValuePair<string, string>>?>(null),
                (from key in strings from raw in RawJson select new KeyValuePair<string, string>(key, raw)).ListOf()
                    .Select(l => (List<KeyValuePair<string, string>>?)l.ToList()))
            select Build(no, cpu, type, ids, procName, name, kind, info, ts, ppid, seq, cr3, args, extra);
    }

    private static SyscallRecord Build(long no, int cpu, LogType type, ulong[] ids, string procName, string name, string kind,
        IEnumerable<(string Key, InfoValue Value)> info, long? ts, ulong? ppid, long? seq, ulong? cr3, ulong[] args,
        List<KeyValuePair<string, string>>? extra)
    {
        var r = new SyscallRecord
        {
            No = no, CpuId = cpu, LogType = type, Pid = ids[0], Tid = ids[1], SysNo = ids[2], RetVal = ids[3],
            ProcName = procName, Name = name, Type = kind, TimestampNs = ts, ParentPid = ppid, ProcSeq = seq, Cr3 = cr3,
            Args = args, ExtraFields = extra,
        };
        foreach (var (key, value) in info) r.AdditionalInfo.Set(key, value);
        return r;
    }

    private static byte[] Written(SyscallRecord r)
    {
        var buffer = new ArrayBufferWriter<byte>(16);
        new RecordJsonWriter().Write(r, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    [Fact]
    public void Any_record_is_written_byte_for_byte_as_Utf8JsonWriter_wrote_it()
    {
        var oracle = new RecordJsonWriterOracle();
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(3000), Prop.ForAll(Records(Hostile).ToArbitrary(), r =>
        {
            var expected = oracle.Write(r);
            var actual = Written(r);
            if (!actual.AsSpan().SequenceEqual(expected))
                throw new ShouldAssertException(
                    $"differs for {r}:\nexpected {Encoding.UTF8.GetString(expected)}\nactual   {Encoding.UTF8.GetString(actual)}");
        }));
    }

    [Fact]
    public void Lone_surrogates_anywhere_give_a_line_that_parses_and_keeps_the_rest()
    {
        // The old writer threw on these in names and raw JSON; the log's strings come from guest memory decoded as
        // UTF-8 (no lone surrogates), but a record read from an imported log may carry "\ud800" escapes.
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500), Prop.ForAll(Records(Gen.OneOf(Hostile, WithLoneSurrogate)).ToArbitrary(), r =>
        {
            using var doc = JsonDocument.Parse(Written(r));
            doc.RootElement.GetProperty(RecordFieldNames.No).GetInt64().ShouldBe(r.No);
            doc.RootElement.GetProperty(RecordFieldNames.AdditionalInfo).EnumerateObject().Count()
                .ShouldBe(r.AdditionalInfo.Count);
        }));
    }

    [Fact]
    public void Written_lines_read_back_as_the_same_record()
    {
        var r = RecordRoundTripTests.Sample(5);
        r.AdditionalInfo.Set("argv", RecordJsonWriter.StringArray([InfoValue.String("sh"), InfoValue.Unreadable(0x7ffd0000)]));
        r.Args = [0xffffff9c, 0];
        r.Cr3 = 0x1a2b000;
        var back = RecordJson.Parse(Encoding.UTF8.GetString(Written(r)));
        Encoding.UTF8.GetString(Written(back)).ShouldBe(Encoding.UTF8.GetString(Written(r)));
    }

    [Fact]
    public void Pretty_printing_shows_the_same_record()
    {
        var r = RecordRoundTripTests.Sample(3);
        r.AdditionalInfo.Set("argv", InfoValue.Json("[\"a\",\"b\"]"));
        var pretty = RecordJson.Serialize(r, indented: true);
        pretty.ShouldContain("\n  \"name\": \"NtCreateFile\"");
        JsonNode.DeepEquals(JsonNode.Parse(pretty), JsonNode.Parse(RecordJson.Serialize(r))).ShouldBeTrue();
    }
}
