using Alkanet.Introspection.Hooks;
using Alkanet.Core.Records;
using Alkanet.Introspection.Symbols;
using Alkanet.Introspection.Windows;

namespace Alkanet.Introspection.Tests.Windows;

public class StructReaderTests
{
    private readonly DecoderHarness _h = new(decoderOptions: new WindowsDecoderOptions { CaptureArgs = true });

    [Fact]
    public void Fields_are_read_by_symbol_table_name_including_nested_paths_and_bitfields()
    {
        var isf = _h.Guest.Isf;
        var m = _h.Memory;
        m.TryReadField(isf, _h.Thread.Ethread, "_ETHREAD", "Cid", out _).ShouldBeFalse(); // a struct, not an integer
        m.TryReadField(isf, _h.Thread.Ethread + isf.OffsetOf("_ETHREAD", "Cid"), "_CLIENT_ID", "UniqueThread", out var tid).ShouldBeTrue();
        tid.ShouldBe(0x21f8UL);
        m.TryReadField(isf, _h.Thread.Ethread, "_KTHREAD", "ApcState.Process", out var process).ShouldBeTrue();
        process.ShouldBe(_h.Process.Eprocess);
        // A handle entry's ObjectPointerBits is a 44-bit field at bit 20.
        var handle = _h.Process.AddHandle(_h.Guest.AddFile(@"\x"));
        var header = _h.Decoder.Objects.ObjectHeader(m, _h.Process.Eprocess, handle);
        header.ShouldBe(_h.Guest.HeaderOf(_h.Decoder.Objects.ObjectBody(header)));
        m.TryReadField(isf, 0xDEAD_0000, "_KTHREAD", "ApcState.Process", out _).ShouldBeFalse(); // unmapped
        m.TryReadField(isf, _h.Thread.Ethread, "_NO_SUCH_TYPE", "X", out _).ShouldBeFalse();
    }

    [Fact]
    public void Client_id_and_object_attributes_readers_use_profile_offsets_and_fail_as_values()
    {
        var p = _h.Kernel.Profile!;
        var cid = _h.Process.ClientId(0x10, 0x14);
        _h.Memory.TryReadClientId(p, cid, out var pid, out var tid).ShouldBeTrue();
        (pid, tid).ShouldBe((0x10UL, 0x14UL));
        _h.Memory.TryReadClientId(p, 0x7000_0000, out _, out _).ShouldBeFalse();
        var oa = _h.Process.ObjectAttributes("name", 0x24);
        _h.Memory.TryReadObjectAttributes(p, oa, out var root, out var name).ShouldBeTrue();
        (root, name.Text).ShouldBe((0x24UL, "name"));
        _h.Memory.TryReadObjectAttributes(p, _h.Process.ObjectAttributes(null), out _, out var empty).ShouldBeTrue();
        empty.Text.ShouldBe("");
        _h.Memory.TryReadObjectAttributes(p, 0xFFFF_F800_0000_0000, out _, out _).ShouldBeFalse();
        _h.Enter("NtDeleteFile", 0x7000_0000).AdditionalInfo["file_name"].ShouldBe("<unreadable@70000000>");
    }

    [Fact]
    public void Raw_arguments_are_captured_on_request_and_win32k_numbers_are_named_from_their_table()
    {
        var r = _h.Enter("NtClose", 0x44);
        r.Args.ShouldBe(new ulong[] { 0x44 });
        var record = new SyscallRecord();
        var state = _h.Guest.EnterState(_h.Thread, 0x1000, 0, 0, 0, 0);
        _h.Decoder.Decode(state, _h.Memory, SiteKind.Enter, record);
        record.Name.ShouldBe(_h.Kernel.Win32kSyscalls!.Table.NameOf(0x1000));
        record.Name.ShouldStartWith("NtUser");
        state.Rax = 0xFFF;
        _h.Decoder.Decode(state, _h.Memory, SiteKind.Enter, record);
        record.Name.ShouldBe("unknown_fff");
    }
}
