using System.IO.Compression;
using System.Text;
using Alkanet.Core.Json;
using Alkanet.Core.Records;

namespace Alkanet.Core.Tests;

public class MalformedInputTests
{
    private static readonly string Good0 = RecordJson.Serialize(RecordRoundTripTests.Sample(0));
    private static readonly string Good1 = RecordJson.Serialize(RecordRoundTripTests.Sample(1));
    private static readonly string Good2 = RecordJson.Serialize(RecordRoundTripTests.Sample(2));

    private static LogFormatError ReadExpectingError(string text)
    {
        using var reader = new JsonLinesReader(new MemoryStream(Encoding.UTF8.GetBytes(text)), "t.jsonl");
        var r = new SyscallRecord();
        var ex = Should.Throw<LogFormatException>(() => { while (reader.TryRead(r)) { } });
        return ex.Error;
    }

    [Fact]
    public void Broken_json_names_file_line_and_byte_offset()
    {
        var text = Good0 + "\n" + Good1 + "\n" + """{"no":2,"cpu_id":0,"logtype":"ENTER" oops}""" + "\n" + Good2 + "\n";
        var e = ReadExpectingError(text);
        e.Source.ShouldBe("t.jsonl");
        e.Line.ShouldBe(3);
        var lineStart = Good0.Length + 1 + Good1.Length + 1;
        e.ByteOffset.ShouldBe(lineStart + """{"no":2,"cpu_id":0,"logtype":"ENTER" """.Length);
        e.ToString().ShouldStartWith("t.jsonl:3: byte offset ");
    }

    [Fact]
    public void A_field_of_the_wrong_type_is_named()
    {
        var e = ReadExpectingError(Good0.Replace("\"proc_pid\":\"21f4\"", "\"proc_pid\":\"0x21f4\"", StringComparison.Ordinal));
        e.Line.ShouldBe(1);
        e.Reason.ShouldContain("proc_pid");
        e.ByteOffset.ShouldBe(Good0.IndexOf("\"21f4\"", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("\"no\":0,", "no")]
    [InlineData("\"sys_no\":\"55\",", "sys_no")]
    [InlineData("\"proc_name\":\"7d317343ffac1b\",", "proc_name")]
    public void A_missing_required_field_is_named(string remove, string field)
    {
        var e = ReadExpectingError(Good0.Replace(remove, "", StringComparison.Ordinal));
        e.Reason.ShouldContain(field);
    }

    [Theory]
    [InlineData("\"logtype\":\"ENTER\"", "\"logtype\":\"enter\"", "logtype")]
    [InlineData("\"no\":0", "\"no\":\"0\"", "no")]
    [InlineData("\"cpu_id\":0", "\"cpu_id\":1.5", "cpu_id")]
    [InlineData("\"additional_info\":{", "\"additional_info\":[{", "additional_info")]
    public void Wrong_types_are_rejected(string from, string to, string field)
    {
        var e = ReadExpectingError(Good0.Replace(from, to, StringComparison.Ordinal));
        e.Reason.ShouldContain(field);
    }

    [Fact]
    public void A_truncated_last_record_is_an_error_not_silence()
    {
        var e = ReadExpectingError(Good0 + "\n" + Good1[..(Good1.Length / 2)]);
        e.Line.ShouldBe(2);
        e.Reason.ShouldContain("truncated");
    }

    [Fact]
    public void Something_that_is_not_an_object_is_rejected()
    {
        ReadExpectingError("[1,2,3]\n").Reason.ShouldContain("expected '{'");
    }

    [Fact]
    public void Skip_bad_counts_skips_and_resumes_at_the_next_record()
    {
        var text = string.Join('\n', Good0, "garbage line", """{"no":5,"broken""", Good1, "{\"no\": 9, \"cpu_id\": \"x\"}", Good2) + "\n";
        using var reader = new JsonLinesReader(new MemoryStream(Encoding.UTF8.GetBytes(text)), "t", new RecordReaderOptions { SkipBad = true });
        var got = new List<long>();
        var r = new SyscallRecord();
        while (reader.TryRead(r)) got.Add(r.No);

        got.ShouldBe([0, 1, 2]);
        reader.SkippedCount.ShouldBe(3);
        reader.SkippedErrors.Select(e => e.Line).ShouldBe([2, 3, 5]);
    }

    [Fact]
    public void Skip_bad_resyncs_between_pretty_printed_records()
    {
        var good = RecordJson.Serialize(RecordRoundTripTests.Sample(0), indented: true);
        var bad = good.Replace("\"cpu_id\": 0", "\"cpu_id\": oops", StringComparison.Ordinal);
        var last = RecordJson.Serialize(RecordRoundTripTests.Sample(2), indented: true);
        var text = good + "\n" + bad + "\n" + last + "\n";
        using var reader = new JsonLinesReader(new MemoryStream(Encoding.UTF8.GetBytes(text)), "t", new RecordReaderOptions { SkipBad = true });
        var got = new List<long>();
        var r = new SyscallRecord();
        while (reader.TryRead(r)) got.Add(r.No);
        got.ShouldBe([0, 2]);
        reader.SkippedCount.ShouldBe(1);
    }

    [Fact]
    public void A_record_over_the_size_cap_is_rejected()
    {
        var huge = "{\"no\":1,\"x\":\"" + new string('a', 5000) + "\"}";
        using var reader = new JsonLinesReader(new MemoryStream(Encoding.UTF8.GetBytes(huge)), "t", new RecordReaderOptions { MaxRecordBytes = 1024 });
        // The initial buffer is larger than the cap, so the cap is checked on what was read: a record that
        // parses within the buffer is still bounded by the buffer; the cap guards unbounded growth.
        Should.Throw<LogFormatException>(() => reader.TryRead(new SyscallRecord()));
    }

    [Fact]
    public void Truncated_gzip_is_reported()
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        {
            var bytes = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 2000).Select(i => RecordJson.Serialize(RecordRoundTripTests.Sample(i)) + "\n")));
            gz.Write(bytes);
        }
        var cut = ms.ToArray()[..(int)(ms.Length / 2)];
        using var reader = new JsonLinesReader(LogStreams.DecompressIfGzip(new MemoryStream(cut)), "cut.jsonl.gz");
        var r = new SyscallRecord();
        var ex = Should.Throw<LogFormatException>(() => { while (reader.TryRead(r)) { } });
        ex.Error.Source.ShouldBe("cut.jsonl.gz");
        ex.Error.Line.ShouldBeGreaterThan(1);
    }

    [Fact]
    public void A_missing_file_is_a_format_error_naming_the_file()
    {
        var ex = Should.Throw<LogFormatException>(() => JsonLinesReader.Open("/nonexistent/dir/x.jsonl"));
        ex.Message.ShouldContain("/nonexistent/dir/x.jsonl");
    }

    [Fact]
    public void Random_bytes_never_escape_as_anything_but_format_errors()
    {
        var rng = new Random(1234);
        for (var i = 0; i < 2000; i++)
        {
            var bytes = new byte[rng.Next(0, 400)];
            rng.NextBytes(bytes);
            if (i % 3 == 0 && bytes.Length > 0) bytes[0] = (byte)'{';
            if (i % 5 == 0)
            {
                // mutate a valid record instead of pure noise
                var good = Encoding.UTF8.GetBytes(Good0);
                for (var k = 0; k < 3; k++) good[rng.Next(good.Length)] = (byte)rng.Next(256);
                bytes = good;
            }
            using var reader = new JsonLinesReader(new MemoryStream(bytes), "fuzz", new RecordReaderOptions { SkipBad = i % 2 == 0 });
            var r = new SyscallRecord();
            try
            {
                while (reader.TryRead(r)) { }
            }
            catch (LogFormatException)
            {
            }
        }
    }
}
