using Alkanet.Core.Json;
using Alkanet.Core.Logs;
using Alkanet.Core.Records;

namespace Alkanet.Core.Tests;

/// <summary>A failed guest read is a value (kind and address) in memory; the writer alone turns it into the log's
/// <c>&lt;unreadable@ADDRESS&gt;</c> text, so logs read the same as before the value existed.</summary>
public class UnreadableValueTests
{
    private static SyscallRecord Record()
    {
        var r = RecordRoundTripTests.Sample(1);
        r.AdditionalInfo.Clear();
        return r;
    }

    [Fact]
    public void The_writer_writes_an_unreadable_value_in_the_log_s_text_form()
    {
        var r = Record();
        r.AdditionalInfo.Set("path", InfoValue.Unreadable(0x7ffd0010)).Set("file_name", InfoValue.Unreadable(0x13000, "C:\\ab"));
        var json = RecordJson.Serialize(r);
        json.ShouldContain("\"path\":\"<unreadable@7ffd0010>\"");
        json.ShouldContain("\"file_name\":\"C:\\\\ab<unreadable@13000>\"");
        // read back, the log holds strings: the same text, as any log written before this value existed
        var back = RecordJson.Parse(json);
        back.AdditionalInfo.TryGet("path", out var path).ShouldBeTrue();
        path.ShouldBe(InfoValue.String("<unreadable@7ffd0010>"));
        RecordJson.Serialize(back).ShouldBe(json);
    }

    [Fact]
    public void The_value_keeps_its_kind_and_address_and_the_indexer_gives_the_log_s_text()
    {
        var info = new AdditionalInfo().Set("regs", InfoValue.Unreadable(0xffffc90000010f58));
        info.TryGet("regs", out var v).ShouldBeTrue();
        v.IsUnreadable.ShouldBeTrue();
        v.HasUnreadable.ShouldBeTrue();
        v.IsJson.ShouldBeFalse();
        v.Address.ShouldBe(0xffffc90000010f58UL);
        info["regs"].ShouldBe("<unreadable@ffffc90000010f58>");
    }

    [Fact]
    public void A_string_array_with_an_unreadable_element_is_JSON_that_says_where()
    {
        var argv = RecordJsonWriter.StringArray([InfoValue.String("/bin/sh"), InfoValue.Unreadable(0x500000), InfoValue.String("a \"b\"\n")]);
        argv.Kind.ShouldBe(InfoValueKind.PartlyUnreadableJson);
        argv.IsJson.ShouldBeTrue();
        argv.Address.ShouldBe(0x500000UL);
        argv.Text.ShouldBe("[\"/bin/sh\",\"<unreadable@500000>\",\"a \\\"b\\\"\\n\"]");
        var r = Record();
        r.AdditionalInfo.Set("argv", argv);
        RecordJson.Serialize(r).ShouldContain("\"argv\":[\"/bin/sh\",\"<unreadable@500000>\",\"a \\\"b\\\"\\n\"]");
        RecordJsonWriter.StringArray([InfoValue.String("x")]).ShouldBe(InfoValue.Json("[\"x\"]"));
    }

    [Fact]
    public void The_readable_line_prints_an_unreadable_value_as_the_log_does()
    {
        var r = Record();
        r.AdditionalInfo.Set("path", InfoValue.Unreadable(0xdeadbeef));
        RecordText.Format(r).ShouldContain(" path=<unreadable@deadbeef>");
    }

    [Theory]
    [InlineData("<unreadable@7ffd0010>", true, 0x7ffd0010UL)]
    [InlineData("C:\\ab<unreadable@13000>", true, 0x13000UL)]
    [InlineData("/tmp/<unreadable@zz>", false, 0UL)]
    [InlineData("<unreadable@>", false, 0UL)]
    [InlineData("/tmp/unreadable@10", false, 0UL)]
    [InlineData("", false, 0UL)]
    public void A_log_s_text_is_recognised_as_a_failed_read_by_the_writer_s_own_inverse(string text, bool failed, ulong address)
    {
        RecordJsonWriter.TryUnreadableAddress(text, out var at).ShouldBe(failed);
        at.ShouldBe(address);
        RecordJsonWriter.EndsUnreadable(text).ShouldBe(failed);
    }

    [Fact]
    public void What_the_writer_writes_its_inverse_reads_back()
    {
        var v = InfoValue.Unreadable(0xffff800012345678, "/etc/pa");
        RecordJsonWriter.TryUnreadableAddress(RecordJsonWriter.ValueText(v), out var at).ShouldBeTrue();
        at.ShouldBe(0xffff800012345678);
    }
}
