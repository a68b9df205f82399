using Alkanet.Core.Records;
using Alkanet.Introspection.Windows;

namespace Alkanet.Introspection.Tests.Windows;

/// <summary>The Windows decoders' <c>data</c> with <c>capture=on</c> (docs/EVIDENCE.md): NtWriteFile's buffer and where it
/// goes (ByteOffset, FILE_WRITE_TO_END_OF_FILE, else the file object's position), NtWriteVirtualMemory's buffer, a section
/// view mapped into another process read through the caller's own view at EXIT; bounded by the per-call cap, unreadable
/// buffers marked,
/// nothing without the option.</summary>
public sealed class WindowsWriteCaptureTests
{
    private readonly DecoderHarness _h = new(decoderOptions: new WindowsDecoderOptions { CaptureWrites = true });

    private static byte[] Data(SyscallRecord r) => Convert.FromBase64String(r.AdditionalInfo["data"]!.ToString()!);

    [Fact]
    public void NtWriteFile_carries_its_bytes_and_offset()
    {
        var file = _h.Guest.AddFile(@"\Users\Public\evil.exe");
        var h = _h.Process.AddHandle(file);
        var iosb = _h.Process.UserAlloc(16);
        var at = _h.Process.U64(0x200);
        var w = _h.Enter("NtWriteFile", h, 0, 0, 0, iosb, _h.Process.Bytes("MZ payload"u8), 10, at, 0);
        Data(w).ShouldBe("MZ payload"u8.ToArray());
        w.AdditionalInfo["offset"].ShouldBe("200");

        // FILE_WRITE_TO_END_OF_FILE: no offset, the host appends.
        var end = _h.Enter("NtWriteFile", h, 0, 0, 0, iosb, _h.Process.Bytes("tail"u8), 4, _h.Process.U64(ulong.MaxValue), 0);
        end.AdditionalInfo["to_end_of_file"].ShouldBe("1");
        end.AdditionalInfo["offset"].ShouldBeNull();

        // No ByteOffset (synchronous I/O): the file object's CurrentByteOffset.
        _h.Guest.System.WriteU64(file + _h.Guest.Off("_FILE_OBJECT", "CurrentByteOffset"), 0x1234);
        var pos = _h.Enter("NtWriteFile", h, 0, 0, 0, iosb, _h.Process.Bytes("x"u8), 1, 0, 0);
        pos.AdditionalInfo["offset"].ShouldBe("1234");
        var useFilePointer = _h.Enter("NtWriteFile", h, 0, 0, 0, iosb, _h.Process.Bytes("y"u8), 1, _h.Process.U64(0xFFFF_FFFF_FFFF_FFFE), 0);
        useFilePointer.AdditionalInfo["offset"].ShouldBe("1234");
    }

    [Fact]
    public void A_buffer_longer_than_a_ring_slot_is_captured_whole_up_to_the_per_call_cap()
    {
        var h = _h.Process.AddHandle(_h.Guest.AddFile(@"\x.bin"));
        var big = new byte[5000];
        Random.Shared.NextBytes(big);
        var w = _h.Enter("NtWriteFile", h, 0, 0, 0, 0, _h.Process.Bytes(big), 5000, _h.Process.U64(0), 0);
        Data(w).ShouldBe(big);
        w.AdditionalInfo["data_unread"].ShouldBeNull();

        // capture_call=BYTES below the write: the first BYTES bytes, nothing marked unread (the host names the cap).
        var capped = new DecoderHarness(decoderOptions: new WindowsDecoderOptions { CaptureWrites = true, CaptureCallBytes = 1500 });
        var ch = capped.Process.AddHandle(capped.Guest.AddFile(@"\x.bin"));
        var cw = capped.Enter("NtWriteFile", ch, 0, 0, 0, 0, capped.Process.Bytes(big), 5000, capped.Process.U64(0), 0);
        Data(cw).ShouldBe(big[..1500]);
        cw.AdditionalInfo["data_unread"].ShouldBeNull();
        var ph = capped.Process.AddHandle(capped.Guest.AddProcess(0xe10, "notepad.exe", 0x1a0c, null, null).Eprocess);
        Data(capped.Enter("NtWriteVirtualMemory", ph, 0x2000_0000, capped.Process.Bytes(big), 5000, 0)).ShouldBe(big[..1500]);
    }

    [Fact]
    public void An_unmapped_buffer_is_marked_and_a_partly_mapped_one_says_where_it_stopped()
    {
        var h = _h.Process.AddHandle(_h.Guest.AddFile(@"\x.bin"));
        var bad = _h.Enter("NtWriteFile", h, 0, 0, 0, 0, 0x7FF0_0000_0000, 16, 0x7FF1_0000_0000, 0);
        bad.AdditionalInfo["data"]!.ToString().ShouldBe("<unreadable@7ff000000000>");
        bad.AdditionalInfo["offset"]!.ToString().ShouldBe("<unreadable@7ff100000000>");

        // The last 0x100 bytes of a mapped page, then an unmapped one.
        _h.Process.Tables.MapNew(0x6000_0000, 4096);
        var tail = new byte[0x100];
        Random.Shared.NextBytes(tail);
        _h.Process.Tables.Write(0x6000_0F00, tail);
        var half = _h.Enter("NtWriteFile", h, 0, 0, 0, 0, 0x6000_0F00, 0x300, _h.Process.U64(0), 0);
        Data(half).ShouldBe(tail);
        half.AdditionalInfo["data_unread"].ShouldBe("60001000");
    }

    [Fact]
    public void NtWriteVirtualMemory_carries_the_buffer_written_into_the_target()
    {
        var target = _h.Guest.AddProcess(0xe10, "notepad.exe", 0x1a0c, null, null);
        var ph = _h.Process.AddHandle(target.Eprocess);
        var w = _h.Enter("NtWriteVirtualMemory", ph, 0x2000_0000, _h.Process.Bytes("INJECTED"u8), 8, _h.Process.U64(0));
        w.AdditionalInfo["target_pid"].ShouldBe("e10");
        Data(w).ShouldBe("INJECTED"u8.ToArray());
    }

    [Fact]
    public void A_view_mapped_into_another_process_is_read_through_the_callers_own_view()
    {
        var target = _h.Guest.AddProcess(0xe10, "notepad.exe", 0x1a0c, null, null);
        var ph = _h.Process.AddHandle(target.Eprocess);
        var sh = _h.Process.AddHandle(_h.Guest.AddNamedObject("Section", "payload"));
        var local = _h.Process.Bytes([.. "SECTION-CODE"u8, .. new byte[0x1000 - 12]]);
        var baseOut = _h.Process.U64(0);
        var sizeOut = _h.Process.U64(0);

        // Into the caller itself (NtCurrentProcess): remembered, nothing captured.
        _h.Enter("NtMapViewOfSection", sh, ulong.MaxValue, baseOut, 0, 0, 0, sizeOut, 2, 0, 4);
        _h.Process.Tables.WriteU64(baseOut, local);
        _h.Process.Tables.WriteU64(sizeOut, 0x1000);
        _h.Exit().AdditionalInfo["data"].ShouldBeNull();

        _h.Enter("NtMapViewOfSection", sh, ph, baseOut, 0, 0, 0, sizeOut, 2, 0, 0x20);
        _h.Process.Tables.WriteU64(baseOut, 0x7FF0_0000);
        var remote = _h.Exit();
        remote.AdditionalInfo["base_address"].ShouldBe("7ff00000");
        remote.AdditionalInfo["local_view"].ShouldBe(local.ToString("x"));
        Data(remote).ShouldBe([.. "SECTION-CODE"u8, .. new byte[0x1000 - 12]]);

        // Once the caller unmapped its own view, a later remote mapping has nothing to read from.
        _h.Enter("NtUnmapViewOfSection", ulong.MaxValue, local);
        _h.Exit();
        _h.Enter("NtMapViewOfSection", sh, ph, baseOut, 0, 0, 0, sizeOut, 2, 0, 0x20);
        _h.Exit().AdditionalInfo["data"].ShouldBeNull();
    }

    [Fact]
    public void Nothing_is_captured_without_the_option()
    {
        var h = new DecoderHarness();
        var fh = h.Process.AddHandle(h.Guest.AddFile(@"\x.bin"));
        var w = h.Enter("NtWriteFile", fh, 0, 0, 0, 0, h.Process.Bytes("abc"u8), 3, h.Process.U64(0), 0);
        w.AdditionalInfo["data"].ShouldBeNull();
        w.AdditionalInfo["offset"].ShouldBeNull();
        h.Enter("NtWriteVirtualMemory", ulong.MaxValue, 0x1000, h.Process.Bytes("abc"u8), 3, 0).AdditionalInfo["data"].ShouldBeNull();
    }
}
