using System.IO.Compression;
using System.Text;
using Alkanet.Core.Json;
using Alkanet.Core.Records;

namespace Alkanet.Core.Tests;

public class GzipInputTests
{
    private static byte[] Gzip(string text)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(Encoding.UTF8.GetBytes(text));
        return ms.ToArray();
    }

    private static string Lines(int from, int count) =>
        string.Concat(Enumerable.Range(from, count).Select(i => RecordJson.Serialize(RecordRoundTripTests.Sample(i)) + "\n"));

    private static List<long> ReadAll(byte[] bytes)
    {
        using var reader = new JsonLinesReader(LogStreams.DecompressIfGzip(new MemoryStream(bytes)), "t.jsonl.gz");
        var r = new SyscallRecord();
        var got = new List<long>();
        while (reader.TryRead(r)) got.Add(r.No);
        return got;
    }

    [Fact]
    public void A_gzip_file_missing_only_its_trailer_is_reported_as_truncated()
    {
        // Every record is complete in the deflate data; only the 8-byte CRC/size trailer is gone.
        // .NET's GZipStream would accept this silently; a cut log must never pass as complete.
        var whole = Gzip(Lines(0, 100));
        var ex = Should.Throw<LogFormatException>(() => ReadAll(whole[..^8]));
        ex.Message.ShouldContain("truncated");
        ex.Error.Source.ShouldBe("t.jsonl.gz");
    }

    [Fact]
    public void Concatenated_gzip_members_read_as_one_log()
    {
        var both = Gzip(Lines(0, 10)).Concat(Gzip(Lines(10, 10))).ToArray();
        ReadAll(both).ShouldBe(Enumerable.Range(0, 20).Select(i => (long)i));
    }

    [Fact]
    public void Corrupt_gzip_data_is_reported_not_misread()
    {
        var bytes = Gzip(Lines(0, 200));
        bytes[bytes.Length / 2] ^= 0x5a;
        bytes[bytes.Length / 2 + 1] ^= 0xa5;
        Should.Throw<LogFormatException>(() => ReadAll(bytes));
    }

    [Fact]
    public void An_empty_gzip_member_is_an_empty_log()
    {
        ReadAll(Gzip("")).ShouldBeEmpty();
    }
}
