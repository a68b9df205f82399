using System.Text;
using Alkanet.Core.Records;
using Alkanet.Introspection.Memory;
using Alkanet.Introspection.Windows;

namespace Alkanet.Introspection.Tests.Windows;

/// <summary>Guest text kept by content (<see cref="GuestTextPool"/>): a path read again is the same string object (no
/// allocation, the ring's UTF-8 cache hits), a buffer rewritten in place gives the new text, and what is not read whole
/// (an unmapped page, a lone surrogate) is decoded as before.</summary>
public sealed class GuestTextPoolTests
{
    private readonly DecoderHarness _h = new();

    private static string Text(SyscallRecord r, string key) =>
        r.AdditionalInfo.TryGet(key, out var v) ? v.Text : throw new KeyNotFoundException($"{key} not in {r.AdditionalInfo}");

    [Fact]
    public void The_same_path_opened_again_is_the_same_string_and_a_rewritten_buffer_gives_the_new_text()
    {
        var oa = _h.Process.ObjectAttributes(@"\??\C:\Users\Public\evil.exe", 0x24);
        var first = Text(_h.Enter("NtOpenFile", _h.Process.U64(0), 0x120089, oa, 0, 1, 0x60), "file_name");
        _h.Exit();
        var hits = _h.Decoder.Texts.Hits;
        var again = Text(_h.Enter("NtOpenFile", _h.Process.U64(0), 0x120089, oa, 0, 1, 0x60), "file_name");
        _h.Exit();
        first.ShouldBe(@"24\\??\C:\Users\Public\evil.exe");
        ReferenceEquals(first, again).ShouldBeTrue();
        _h.Decoder.Texts.Hits.ShouldBeGreaterThan(hits);
        // the caller reuses its buffer for another name of the same length: the pool compares the text, not the address
        var g = _h.Guest;
        _h.Memory.TryReadU64(oa + g.Off("_OBJECT_ATTRIBUTES", "ObjectName"), out var name).ShouldBeTrue();
        _h.Memory.TryReadU64(name + g.Off("_UNICODE_STRING", "Buffer"), out var buffer).ShouldBeTrue();
        _h.Process.Tables.Write(buffer, Encoding.Unicode.GetBytes(@"\??\C:\Users\Public\good.exe"));
        Text(_h.Enter("NtOpenFile", _h.Process.U64(0), 0x120089, oa, 0, 1, 0x60), "file_name").ShouldBe(@"24\\??\C:\Users\Public\good.exe");
        // a new root handle changes the prefix
        _h.Process.Tables.WriteU64(oa + g.Off("_OBJECT_ATTRIBUTES", "RootDirectory"), 0x28);
        Text(_h.Enter("NtOpenFile", _h.Process.U64(0), 0x120089, oa, 0, 1, 0x60), "file_name").ShouldBe(@"28\\??\C:\Users\Public\good.exe");
    }

    [Fact]
    public void A_string_running_into_an_unmapped_page_and_a_lone_surrogate_decode_as_the_reader_does()
    {
        var p = _h.Process;
        var g = _h.Guest;
        var descriptor = p.UserAlloc(16, 8);
        // the text's last 8 bytes lie on a page that is not mapped
        var pageEnd = (p.UserAlloc(4096, 4096) + 4096 + 4095) & ~0xFFFUL; // past the heap: unmapped
        var start = pageEnd - 8;
        p.Tables.Write(start, Encoding.Unicode.GetBytes("abcd"));
        p.Tables.WriteU16(descriptor + g.Off("_UNICODE_STRING", "Length"), 16);
        p.Tables.WriteU64(descriptor + g.Off("_UNICODE_STRING", "Buffer"), start);
        var r = _h.Enter("NtDeleteValueKey", 0x44, descriptor);
        r.AdditionalInfo.TryGet("value_name", out var partial).ShouldBeTrue();
        partial.ShouldBe(InfoValue.Unreadable(pageEnd, "abcd"));
        // a lone high surrogate: replaced, as Encoding.Unicode does
        var lone = p.UnicodeString("x\uD800y");
        Text(_h.Enter("NtDeleteValueKey", 0x44, lone), "value_name").ShouldBe("x\uFFFDy");
    }

    [Fact]
    public void Registry_text_and_hex_data_are_pooled_and_follow_the_bytes()
    {
        var key = _h.Process.AddHandle(_h.Guest.AddKey(@"\REGISTRY\MACHINE\SOFTWARE\x"));
        var data = Encoding.Unicode.GetBytes("C:\\a.exe\0");
        var buffer = _h.Process.Bytes(data);
        var name = _h.Process.UnicodeString("Updater");
        var one = Text(_h.Enter("NtSetValueKey", key, name, 0, 1, buffer, (ulong)data.Length), "data");
        var two = Text(_h.Enter("NtSetValueKey", key, name, 0, 1, buffer, (ulong)data.Length), "data");
        one.ShouldBe(@"C:\a.exe");
        ReferenceEquals(one, two).ShouldBeTrue();
        _h.Process.Tables.Write(buffer, Encoding.Unicode.GetBytes("C:\\b.exe\0"));
        Text(_h.Enter("NtSetValueKey", key, name, 0, 1, buffer, (ulong)data.Length), "data").ShouldBe(@"C:\b.exe");
        Text(_h.Enter("NtSetValueKey", key, name, 0, 7, _h.Process.Bytes(Encoding.Unicode.GetBytes("a\0b\0\0")), 10), "data").ShouldBe("a\nb");
        Text(_h.Enter("NtSetValueKey", key, name, 0, 3, _h.Process.Bytes([0xDE, 0xAD]), 2), "data").ShouldBe("dead");
    }

    [Fact]
    public void The_pool_keeps_texts_by_content_and_builds_long_ones_every_time()
    {
        var pool = new GuestTextPool(entries: 4);
        var a = pool.Get("path".AsSpan());
        ReferenceEquals(a, pool.Get("path".ToCharArray())).ShouldBeTrue();
        pool.Get("other".AsSpan()).ShouldBe("other");
        pool.Get("").ShouldBe("");
        var longText = new string('x', GuestTextPool.MaxLength + 1);
        var built = pool.Get(longText.AsSpan());
        built.ShouldBe(longText);
        ReferenceEquals(built, pool.Get(longText.AsSpan())).ShouldBeFalse();
    }

    [Fact]
    public void Two_fields_read_together_still_read_field_by_field_when_the_second_lies_on_an_unmapped_page()
    {
        var p = _h.Process;
        var pageEnd = (p.UserAlloc(4096, 4096) + 4096 + 4095) & ~0xFFFUL;
        p.Tables.WriteU64(pageEnd - 8, 0x1234);
        _h.Memory.TryReadU64Pair(pageEnd - 8, 0, 8, out var a, out var b).ShouldBeFalse();
        (a, b).ShouldBe((0x1234UL, 0UL));
        _h.Memory.TryReadU64Pair(pageEnd - 16, 0, 8, out a, out b).ShouldBeTrue();
        (a, b).ShouldBe((0UL, 0x1234UL));
        _h.Memory.TryReadU64Pair(pageEnd - 8, 0, 0x100, out a, out _).ShouldBeFalse(); // apart: two reads
        a.ShouldBe(0x1234UL);
    }
}
