using System.Text;
using System.Text.Json.Nodes;
using Alkanet.Core.Json;
using Alkanet.Core.Records;
using FsCheck;
using FsCheck.Fluent;

namespace Alkanet.Core.Tests;

public class RecordRoundTripTests
{
    [Fact]
    public void Additions_and_unknown_fields_survive_a_read_and_write()
    {
        const string line = """{"no":7,"cpu_id":1,"logtype":"EXIT","proc_pid":"4d2","proc_tid":"4d3","proc_name":"sh","name":"openat","sys_no":"101","type":"syscall","ret_val":"fffffffffffffffe","additional_info":{"path":"/etc/x","argv":["a","b c"],"nested":{"k":1}},"timestamp_ns":1700000000123456789,"proc_ppid":"1","proc_seq":3,"cr3":"1a2b000","args":["ffffff9c","7ffd0010"],"vendor_field":{"x":[1,2]},"later_flag":true}""";
        var r = RecordJson.Parse(line);

        r.RetVal.ShouldBe(unchecked((ulong)-2L));
        r.TimestampNs.ShouldBe(1700000000123456789);
        r.ParentPid.ShouldBe(1UL);
        r.ProcSeq.ShouldBe(3);
        r.Cr3.ShouldBe(0x1a2b000UL);
        r.Args.ShouldBe([0xffffff9cUL, 0x7ffd0010UL]);
        r.AdditionalInfo.TryGet("argv", out var argv).ShouldBeTrue();
        argv.IsJson.ShouldBeTrue();
        r.ExtraFields!.Select(kv => kv.Key).ShouldBe(["vendor_field", "later_flag"]);

        JsonNode.DeepEquals(JsonNode.Parse(line), JsonNode.Parse(RecordJson.Serialize(r))).ShouldBeTrue();
    }

    [Fact]
    public void Strings_with_quotes_control_characters_and_unicode_round_trip()
    {
        var r = Sample(1);
        r.ProcName = "naïve \"q\"";
        r.AdditionalInfo.Set("file_name", "C:\\Users\\Ünï\\a\tb\u0001\u2028.txt");
        var back = RecordJson.Parse(RecordJson.Serialize(r));
        back.ProcName.ShouldBe(r.ProcName);
        back.AdditionalInfo["file_name"].ShouldBe(r.AdditionalInfo["file_name"]);
    }

    [Fact]
    public void Any_record_round_trips()
    {
        var gen =
            from no in Gen.Choose(0, int.MaxValue)
            from cpu in Gen.Choose(0, 255)
            from type in Gen.Elements(LogType.Enter, LogType.Exit)
            from pid in ArbMap.Default.GeneratorFor<ulong>()
            from tid in ArbMap.Default.GeneratorFor<ulong>()
            from ret in ArbMap.Default.GeneratorFor<ulong>()
            from name in ArbMap.Default.GeneratorFor<NonNull<string>>()
            from value in ArbMap.Default.GeneratorFor<NonNull<string>>()
            select (no, cpu, type, pid, tid, ret, name.Get, value.Get);

        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            // Lone surrogates cannot be represented in UTF-8 JSON; every real name is valid UTF-16.
            var name = Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(t.Item7));
            var value = Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(t.Item8));
            var r = new SyscallRecord { No = t.no, CpuId = t.cpu, LogType = t.type, Pid = t.pid, Tid = t.tid, RetVal = t.ret, ProcName = name, Name = "NtX", SysNo = 0x55 };
            r.AdditionalInfo.Set("v", value);
            var back = RecordJson.Parse(RecordJson.Serialize(r));
            return back.No == r.No && back.CpuId == r.CpuId && back.LogType == r.LogType && back.Pid == r.Pid
                && back.Tid == r.Tid && back.RetVal == r.RetVal && back.ProcName == name && back.AdditionalInfo["v"] == value;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Gzip_files_are_written_for_gz_paths_and_detected_by_content()
    {
        using var dir = new TempDir();
        var gz = dir.File("run.jsonl.gz");
        using (var w = JsonLinesWriter.Create(gz))
            for (var i = 0; i < 1000; i++) w.Write(Sample(i));

        File.ReadAllBytes(gz).AsSpan(0, 2).ToArray().ShouldBe(new byte[] { 0x1f, 0x8b });
        var renamed = dir.File("renamed.log");
        File.Copy(gz, renamed);
        JsonLinesReader.ReadFile(renamed).Select(r => r.No).ShouldBe(Enumerable.Range(0, 1000).Select(i => (long)i));
    }

    [Fact]
    public void Records_larger_than_the_read_buffer_are_read_whole()
    {
        using var dir = new TempDir();
        var path = dir.File("big.jsonl");
        var big = new string('x', 3 * 1024 * 1024);
        using (var w = JsonLinesWriter.Create(path))
        {
            w.Write(Sample(0));
            var r = Sample(1);
            r.AdditionalInfo.Set("blob", big);
            w.Write(r);
            w.Write(Sample(2));
        }
        var all = JsonLinesReader.ReadFile(path).ToList();
        all.Count.ShouldBe(3);
        all[1].AdditionalInfo["blob"]!.Length.ShouldBe(big.Length);
    }

    [Fact]
    public void Many_records_across_buffer_refills_keep_order_and_line_numbers()
    {
        using var dir = new TempDir();
        var path = dir.File("many.jsonl");
        using (var w = JsonLinesWriter.Create(path))
            for (var i = 0; i < 50_000; i++) w.Write(Sample(i));

        using var reader = JsonLinesReader.Open(path);
        var r = new SyscallRecord();
        long expected = 0;
        while (reader.TryRead(r))
        {
            r.No.ShouldBe(expected);
            reader.RecordLine.ShouldBe(expected + 1);
            expected++;
        }
        expected.ShouldBe(50_000);
    }

    [Fact]
    public void Reading_a_large_file_reuses_names_instead_of_allocating_each()
    {
        var lines = string.Join('\n', Enumerable.Range(0, 3).Select(i => RecordJson.Serialize(Sample(i))));
        using var reader = new JsonLinesReader(new MemoryStream(Encoding.UTF8.GetBytes(lines)), "mem");
        var a = new SyscallRecord();
        var b = new SyscallRecord();
        reader.TryRead(a).ShouldBeTrue();
        var nameA = a.Name;
        reader.TryRead(b).ShouldBeTrue();
        ReferenceEquals(nameA, b.Name).ShouldBeTrue();
    }

    internal static SyscallRecord Sample(long no)
    {
        var r = new SyscallRecord
        {
            No = no,
            CpuId = (int)(no % 2),
            LogType = no % 2 == 0 ? LogType.Enter : LogType.Exit,
            Pid = 0x21f4,
            Tid = 0x21f8,
            ProcName = "7d317343ffac1b",
            Name = "NtCreateFile",
            SysNo = 0x55,
        };
        r.AdditionalInfo.Set("desired_access", "80100080").Set("file_name", @"0\\??\C:\Windows\Globalization\Sorting\sortdefault.nls");
        return r;
    }
}
