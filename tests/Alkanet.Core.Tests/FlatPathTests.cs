using System.Text;
using Alkanet.Core.Json;
using Alkanet.Core.Records;
using FsCheck;
using FsCheck.Fluent;

namespace Alkanet.Core.Tests;

/// <summary>
/// The reader's fast path for flat one-line records (issue 11) must read exactly what the general JSON reader reads:
/// the same record, or the same error (file, line, offset, reason), for well-formed and for damaged input.
/// </summary>
public class FlatPathTests
{
    /// <summary>Every record of <paramref name="text"/> serialized back, or the first error, by one of the two paths.</summary>
    private static string Read(byte[] text, bool flat, bool skipBad = false) => Read(text, flat, skipBad, out _);

    private static string Read(byte[] text, bool flat, bool skipBad, out long flatRecords)
    {
        var options = new RecordReaderOptions { FlatPath = flat, SkipBad = skipBad };
        using var reader = new JsonLinesReader(new MemoryStream(text), "t.jsonl", options);
        var sb = new StringBuilder();
        var r = new SyscallRecord();
        try
        {
            while (reader.TryRead(r)) sb.Append(reader.RecordLine).Append('@').Append(reader.RecordOffset).Append(' ').AppendLine(RecordJson.Serialize(r));
        }
        catch (LogFormatException ex)
        {
            sb.Append("error: ").AppendLine(ex.Error.ToString());
        }
        foreach (var e in reader.SkippedErrors) sb.Append("skipped: ").AppendLine(e.ToString());
        flatRecords = reader.FlatRecords;
        return sb.ToString();
    }

    private static readonly Gen<string> Text = Gen.OneOf(
        Gen.Elements("", "a", "NtCreateFile", "\\REGISTRY\\MACHINE", "C:\\Users\\x\\a.txt", "q\"uote", "tab\there", "ü ñ 漢字", "/etc/passwd",
            "nl\nx", "\u0001ctl", "sl/ash", "\u2028", "\U0001F600", "7f\u007f"),
        ArbMap.Default.GeneratorFor<NonNull<string>>().Select(s => Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(s.Get))));

    private static readonly Gen<SyscallRecord> Records =
        from no in ArbMap.Default.GeneratorFor<long>()
        from cpu in Gen.Choose(0, int.MaxValue)
        from type in Gen.Elements(LogType.Enter, LogType.Exit, LogType.Loss)
        from pid in ArbMap.Default.GeneratorFor<ulong>()
        from ret in ArbMap.Default.GeneratorFor<ulong>()
        from procName in Gen.OneOf(Gen.Elements("a.exe", "explorer.exe", "sh", "proc 7"), Text)
        from value in Text
        from key in Gen.Elements("handle", "object_name", "path", "file_name", "k\\ey", "ünï")
        from ts in Gen.OneOf(Gen.Constant((long?)null), ArbMap.Default.GeneratorFor<long>().Select(v => (long?)v))
        from seq in Gen.OneOf(Gen.Constant((long?)null), Gen.Choose(0, 1000).Select(v => (long?)v))
        from n in Gen.Choose(0, 6)
        from args in Gen.ArrayOf(ArbMap.Default.GeneratorFor<ulong>(), n)
        from json in Gen.Elements<string?>(null, null, null, null, null, "12", "[\"a\",\"b\"]", "{\"k\":1}", "true", "null")
        select Make(no, cpu, type, pid, ret, procName, key, value, ts, seq, args, json);

    private static SyscallRecord Make(long no, int cpu, LogType type, ulong pid, ulong ret, string procName, string key, string value,
        long? ts, long? seq, ulong[] args, string? json)
    {
        var r = new SyscallRecord
        {
            No = no, CpuId = cpu, LogType = type, Pid = pid, Tid = pid ^ 1, ProcName = procName, Name = "NtX", SysNo = 0x55, RetVal = ret,
            TimestampNs = ts, ProcSeq = seq, Args = args,
        };
        r.AdditionalInfo.Set(key, value);
        if (json is not null) r.AdditionalInfo.SetJson("raw", json);
        return r;
    }

    [Fact]
    public void Any_record_reads_alike_on_both_paths()
    {
        long fastReads = 0;
        var batches = from n in Gen.Choose(1, 4) from records in Gen.ArrayOf(Records, n) select records;
        var property = Prop.ForAll(batches.ToArbitrary(), records =>
        {
            var text = Encoding.UTF8.GetBytes(string.Join("\n", records.Select(r => RecordJson.Serialize(r, false))) + "\n");
            var flat = Read(text, flat: true, skipBad: false, out var flatRecords);
            var general = Read(text, flat: false);
            fastReads += flatRecords;
            return (flat == general && !flat.Contains("error:", StringComparison.Ordinal)).Label($"flat:\n{flat}\ngeneral:\n{general}");
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1000), property);
        // most generated records are in the tracer's shape: the comparison above exercised the fast path
        fastReads.ShouldBeGreaterThan(100);
    }

    [Fact]
    public void Damaged_records_give_the_same_record_or_the_same_error_on_both_paths()
    {
        var line = RecordJson.Serialize(Make(12, 1, LogType.Exit, 0x4d2, 0xfffffffffffffffe, "a.exe", "object_name", "\\REGISTRY\\x", 1700000000000001000,
            3, [0x10, 0xffffffff], null));
        var bytes = Encoding.UTF8.GetBytes(line + "\n" + line + "\n");
        var damage = Gen.Elements((byte)'"', (byte)',', (byte)'}', (byte)'{', (byte)':', (byte)'\\', (byte)'0', (byte)'x', (byte)'-', (byte)' ',
            (byte)'\n', (byte)'.', (byte)'e', (byte)0x01, (byte)0xC3, (byte)0xFF, (byte)'n', (byte)']', (byte)'[');
        var gen = from at in Gen.Choose(0, bytes.Length - 1)
                  from b in damage
                  from how in Gen.Choose(0, 2)
                  select (at, b, how);
        var property = Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var list = bytes.ToList();
            if (t.how == 0) list[t.at] = t.b;
            else if (t.how == 1) list.Insert(t.at, t.b);
            else list.RemoveAt(t.at);
            var text = list.ToArray();
            foreach (var skip in new[] { false, true })
            {
                var flat = Read(text, flat: true, skip);
                var general = Read(text, flat: false, skip);
                if (flat != general) return false.Label($"at {t.at} byte {t.b} how {t.how} skip {skip}\nflat:\n{flat}\ngeneral:\n{general}");
            }
            return true.ToProperty();
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(3000), property);
    }

    [Theory]
    [InlineData("\"no\":12", "\"no\":012")]
    [InlineData("\"no\":12", "\"no\":1.5")]
    [InlineData("\"no\":12", "\"no\":99999999999999999999")]
    [InlineData("\"no\":12", "\"no\":9223372036854775807")]
    [InlineData("\"no\":12", "\"no\":9223372036854775808")]
    [InlineData("\"no\":12", "\"no\":-9223372036854775808")]
    [InlineData("\"no\":12", "\"no\":-9223372036854775809")]
    [InlineData("\"no\":12", "\"no\":-0")]
    [InlineData("\"no\":12", "\"no\":-")]
    [InlineData("\"cpu_id\":1", "\"cpu_id\":-1")]
    [InlineData("\"proc_pid\":\"4d2\"", "\"proc_pid\":\"0x4d2\"")]
    [InlineData("\"proc_pid\":\"4d2\"", "\"proc_pid\":\"11112222333344445\"")]
    [InlineData("\"logtype\":\"EXIT\"", "\"logtype\":null")]
    [InlineData("\"name\":\"NtX\"", "\"name\":null")]
    [InlineData("\"args\":[\"10\",\"ffffffff\"]", "\"args\":[\"10\",]")]
    [InlineData("\"a.exe\"", "\"a\\u0041.exe\"")]
    [InlineData("\\\\REGISTRY", "\\qREGISTRY")]
    public void Edge_values_read_alike_on_both_paths(string from, string to)
    {
        var line = RecordJson.Serialize(Make(12, 1, LogType.Exit, 0x4d2, 2, "a.exe", "object_name", "\\REGISTRY\\x", null, null, [0x10, 0xffffffff], null));
        line.ShouldContain(from);
        var text = Encoding.UTF8.GetBytes(line.Replace(from, to, StringComparison.Ordinal) + "\n");
        Read(text, flat: true).ShouldBe(Read(text, flat: false));
    }

    [Fact]
    public void The_tracers_records_take_the_fast_path()
    {
        var lines = Enumerable.Range(0, 50).Select(i => RecordJson.Serialize(Make(i, 1, LogType.Enter, 0x4d2, 0, "a.exe", "object_name",
            "\\REGISTRY\\MACHINE\\x" + i, 1700000000000001000 + i, null, [], null)));
        var text = Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n");
        Read(text, flat: true, skipBad: false, out var flatRecords).ShouldBe(Read(text, flat: false));
        flatRecords.ShouldBe(50);
    }
}
