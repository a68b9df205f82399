using System.Security.Cryptography;
using System.Text;
using Alkanet.Analysis.Output;

namespace Alkanet.Analysis.Tests;

/// <summary>Dropped files and injected memory from Windows records as the hook writes them with <c>capture=on</c>
/// (docs/EVIDENCE.md): handles named by NtCreateFile, NtWriteFile's bytes at their offset or the handle's position,
/// NtSetInformationFile renames and dispositions, NtWriteVirtualMemory buffers merged while contiguous, a section view
/// mapped into another process; read back through the log reader and the report builder.</summary>
public sealed class WindowsEvidenceTests : IDisposable
{
    private readonly EvidenceLog _log = new();

    public void Dispose() => _log.Dispose();

    private const string Evil = @"\\??\\C:\\Users\\Public\\evil.exe";

    private void Call(string call, string info, string status = "0", string pid = "41") => _log.Call(call, status, info, pid);

    private void Create(string handle, string name = Evil, string disposition = "5", string options = "60", string pid = "41") =>
        Call("NtCreateFile", $$"""{"desired_access": "40100000", "file_name": "0{{name}}", "create_disposition": "{{disposition}}", """ +
            $$""" "create_options": "{{options}}", "out_handle": "{{handle}}", "object_name": "\\Users\\Public\\evil.exe"}""", pid: pid);

    private void WriteFile(string handle, byte[] data, string extra = "", long? written = null, string status = "0") =>
        Call("NtWriteFile", $$"""{"file_handle": "{{handle}}", "size": "{{data.Length:x}}"{{extra}}, "data": "{{Convert.ToBase64String(data)}}", """ +
            $$""" "bytes_written": "{{written ?? data.Length:x}}"}""", status);

    private static string Sha256(byte[] b) => Convert.ToHexStringLower(SHA256.HashData(b));

    [Fact]
    public void A_written_renamed_and_deleted_file_keeps_every_path_and_its_bytes()
    {
        var head = Encoding.ASCII.GetBytes("MZ dropped by the sample, ");
        var tail = Encoding.ASCII.GetBytes("second write at the handle's position");
        Create("84");
        WriteFile("84", head, """, "offset": "0" """);
        WriteFile("84", tail); // no offset in the record: the handle's traced position
        Call("NtSetInformationFile", $$"""{"file_handle": "84", "info_class": "a", "info_class_name": "FileRenameInformation", """ +
            """ "new_name": "\\??\\C:\\Users\\Public\\EVIL.tmp"}""");
        Call("NtSetInformationFile", """{"file_handle": "84", "info_class": "d", "info_class_name": "FileDispositionInformation", "delete": "1"}""");
        Call("NtClose", """{"handle": "84"}""");
        var f = _log.Report().DroppedFiles.ShouldHaveSingleItem();
        f.Paths.ShouldBe([@"C:\Users\Public\evil.exe", @"C:\Users\Public\EVIL.tmp"]);
        f.Deleted.ShouldBeTrue();
        f.Sha256.ShouldBe(Sha256([.. head, .. tail]));
        f.Size.ShouldBe(head.Length + tail.Length);
        f.Partial.ShouldBeFalse();
        f.Records.ShouldContain(9); // the disposition's ENTER: the proof of the deletion
    }

    [Fact]
    public void The_same_drop_twice_is_two_files_each_with_its_own_deletion()
    {
        for (var round = 0; round < 2; round++)
        {
            Create("84");
            WriteFile("84", "same bytes"u8.ToArray(), """, "offset": "0" """);
            Call("NtSetInformationFile", """{"file_handle": "84", "new_name": "\\??\\C:\\Users\\Public\\evil.tmp"}""");
            Call("NtSetInformationFile", """{"file_handle": "84", "info_class": "d", "delete": "1"}""");
            Call("NtClose", """{"handle": "84"}""");
        }
        var files = _log.Report().DroppedFiles;
        files.Count.ShouldBe(2);
        var sha = Sha256("same bytes"u8.ToArray());
        files.ShouldAllBe(f => f.Deleted && f.Paths.Count == 2 && f.Sha256 == sha);
        files[0].Records.ShouldContain(7); // round one's disposition, not replaced by round two's
        files[1].Records.ShouldContain(17);
    }

    [Fact]
    public void Offsets_end_of_file_overwrite_and_failed_writes()
    {
        Create("84");
        WriteFile("84", "AAAA"u8.ToArray(), """, "offset": "4" """); // a sparse write: zeros before it
        WriteFile("84", "BB"u8.ToArray(), """, "to_end_of_file": "1" """);
        WriteFile("84", "CC"u8.ToArray(), """, "offset": "0" """, status: "c0000022"); // access denied: nothing written
        Call("NtClose", """{"handle": "84"}""");
        Create("88", disposition: "5"); // FILE_OVERWRITE_IF: a new content under the same name
        WriteFile("88", "new"u8.ToArray(), """, "offset": "0" """);
        var files = _log.Report().DroppedFiles;
        files.Count.ShouldBe(2);
        files[0].Sha256.ShouldBe(Sha256([0, 0, 0, 0, .. "AAAABB"u8.ToArray()]));
        files[1].Sha256.ShouldBe(Sha256("new"u8.ToArray()));
        files.ShouldAllBe(f => f.Path == @"C:\Users\Public\evil.exe" && !f.Deleted);
    }

    [Fact]
    public void A_long_write_is_partial_and_devices_and_pipes_are_not_files()
    {
        Create("84");
        WriteFile("84", new byte[384], """, "offset": "0" """, written: 1000);
        Create("90", name: @"\\??\\pipe\\evil");
        WriteFile("90", "pipe bytes"u8.ToArray());
        Create("94", name: @"\\Device\\Afd\\Endpoint");
        WriteFile("94", "socket bytes"u8.ToArray());
        var f = _log.Report().DroppedFiles.ShouldHaveSingleItem();
        f.Size.ShouldBe(1000);
        f.PartialReasons.ShouldBe(["the hook captures the first 384 bytes of a call (per-call cap)"]);
    }

    [Fact]
    public void Delete_on_close_and_NtDeleteFile_mark_the_file_deleted()
    {
        Create("84", options: "1060"); // FILE_DELETE_ON_CLOSE
        WriteFile("84", "temp"u8.ToArray(), """, "offset": "0" """);
        Call("NtClose", """{"handle": "84"}""");
        Create("88", name: @"\\??\\C:\\x.bin");
        WriteFile("88", "kept"u8.ToArray(), """, "offset": "0" """);
        Call("NtDeleteFile", """{"file_name": "0\\??\\c:\\X.BIN"}""");
        var files = _log.Report().DroppedFiles;
        files.Count.ShouldBe(2);
        files.ShouldAllBe(f => f.Deleted);
    }

    [Fact]
    public void NtWriteVirtualMemory_buffers_merge_and_a_mapped_view_is_its_own_region()
    {
        var code = Encoding.ASCII.GetBytes("ALKANET-INJECTED-CODE");
        var more = Encoding.ASCII.GetBytes("-continued");
        Call("NtWriteVirtualMemory", $$"""{"process_handle": "7c", "target_pid": "e10", "base_address": "20000000", "size": "{{code.Length:x}}", """ +
            $$""" "data": "{{Convert.ToBase64String(code)}}", "bytes_written": "{{code.Length:x}}"}""");
        Call("NtWriteVirtualMemory", $$"""{"process_handle": "7c", "target_pid": "e10", "base_address": "{{0x20000000 + code.Length:x}}", """ +
            $$""" "size": "{{more.Length:x}}", "data": "{{Convert.ToBase64String(more)}}", "bytes_written": "{{more.Length:x}}"}""");
        // Into itself: not an injection.
        Call("NtWriteVirtualMemory", $$"""{"process_handle": "ffffffffffffffff", "target_pid": "41", "base_address": "30000000", "size": "4", """ +
            $$""" "data": "{{Convert.ToBase64String("self"u8.ToArray())}}", "bytes_written": "4"}""");
        var view = new byte[0x1000];
        "MAPPED"u8.CopyTo(view);
        Call("NtMapViewOfSection", $$"""{"section_handle": "80", "process_handle": "7c", "target_pid": "e10", "base_address": "7ff00000", """ +
            $$""" "region_size": "1000", "local_view": "1f0000", "data": "{{Convert.ToBase64String(view[..384])}}"}""");
        var m = _log.Report().InjectedMemory;
        m.Count.ShouldBe(2);
        m[0].TargetPid.ShouldBe("e10");
        m[0].Address.ShouldBe("20000000");
        m[0].Sha256.ShouldBe(Sha256([.. code, .. more]));
        m[0].Techniques.ShouldBe(["NtWriteVirtualMemory"]);
        m[0].Partial.ShouldBeFalse();
        m[1].Address.ShouldBe("7ff00000");
        m[1].Techniques.ShouldBe(["NtMapViewOfSection"]);
        m[1].PartialReasons.ShouldBe(["the hook captures the first 384 bytes of a call (4096 written)"]);
    }

    [Fact]
    public void An_injected_region_keeps_its_protection_at_the_write_and_the_last_one()
    {
        var code = Encoding.ASCII.GetBytes("SHELLCODE");
        // Allocated RW in the target, written, then made RX: the classic shellcode sequence.
        Call("NtAllocateVirtualMemory", """{"process_handle": "7c", "target_pid": "e10", "base_address": "20000000", "region_size": "2000", """ +
            """ "allocation_type": "3000", "protect": "4", "protect_names": "PAGE_READWRITE"}""");
        Call("NtWriteVirtualMemory", $$"""{"process_handle": "7c", "target_pid": "e10", "base_address": "20000010", "size": "{{code.Length:x}}", """ +
            $$""" "data": "{{Convert.ToBase64String(code)}}", "bytes_written": "{{code.Length:x}}"}""");
        // The writer's own protection change at the same address is its memory, not the target's.
        Call("NtProtectVirtualMemory", """{"process_handle": "ffffffffffffffff", "target_pid": "41", "base_address": "20000000", """ +
            """ "region_size": "1000", "new_protect": "40", "new_protect_names": "PAGE_EXECUTE_READWRITE"}""");
        Call("NtProtectVirtualMemory", """{"process_handle": "7c", "target_pid": "e10", "base_address": "20000000", "region_size": "1000", """ +
            """ "new_protect": "20", "new_protect_names": "PAGE_EXECUTE_READ", "old_protect": "4"}""");
        // A failed change is no change.
        Call("NtProtectVirtualMemory", """{"process_handle": "7c", "target_pid": "e10", "base_address": "20000000", "region_size": "1000", """ +
            """ "new_protect": "1", "new_protect_names": "PAGE_NOACCESS"}""", status: "c0000045");
        // A section view mapped RX into the target carries its own protection.
        Call("NtMapViewOfSection", $$"""{"section_handle": "80", "process_handle": "7c", "target_pid": "e10", "base_address": "7ff00000", """ +
            $$""" "protect": "20", "protect_names": "PAGE_EXECUTE_READ", "region_size": "9", "local_view": "1f0000", "data": "{{Convert.ToBase64String(code)}}"}""");
        var report = _log.Report();
        var m = report.InjectedMemory;
        m.Count.ShouldBe(2);
        m[0].ProtectAtWrite.ShouldBe("PAGE_READWRITE");
        m[0].ProtectLast.ShouldBe("PAGE_EXECUTE_READ");
        m[1].ProtectAtWrite.ShouldBe("PAGE_EXECUTE_READ");
        m[1].ProtectLast.ShouldBe("PAGE_EXECUTE_READ");
        ReportWriters.ToMarkdown(report).ShouldContain("| PAGE_READWRITE → PAGE_EXECUTE_READ |");
    }

    [Fact]
    public void A_write_longer_than_a_ring_slot_is_whole_and_one_over_the_per_call_cap_names_the_gap()
    {
        var big = new byte[5000];
        new Random(12).NextBytes(big);
        Create("84");
        WriteFile("84", big, """, "offset": "0" """);
        Call("NtWriteVirtualMemory", $$"""{"process_handle": "7c", "target_pid": "e10", "base_address": "20000000", "size": "2000", """ +
            $$""" "data": "{{Convert.ToBase64String(big)}}", "bytes_written": "2000"}""");
        var report = _log.Report();
        var f = report.DroppedFiles.ShouldHaveSingleItem();
        f.Sha256.ShouldBe(Sha256(big));
        f.Partial.ShouldBeFalse();
        var m = report.InjectedMemory.ShouldHaveSingleItem();
        m.Size.ShouldBe(5000);
        m.PartialReasons.ShouldBe(["the hook captures the first 5000 bytes of a call (8192 written)"]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)] // an importer's open names no image: no process is made up from a pid alone
    public void A_process_opened_but_never_calling_is_in_the_tree_when_the_tracer_names_it(bool named)
    {
        var name = named ? """, "target_name": "notepad.exe" """ : "";
        Call("NtOpenProcess", $$"""{"desired_access": "1fffff", "target_pid": "e10", "out_handle": "7c"{{name}}}""");
        Call("NtWriteVirtualMemory", $$"""{"process_handle": "7c", "target_pid": "e10", "base_address": "20000000", "size": "4", """ +
            $$""" "data": "{{Convert.ToBase64String("code"u8.ToArray())}}", "bytes_written": "4"}""");
        foreach (var step in new[] { "NtSuspendThread", "NtSetContextThread", "NtResumeThread" })
            Call(step, """{"thread_handle": "80", "target_pid": "e10", "target_tid": "e14"}""");
        var r = _log.Report();
        r.Processes.Any(p => p.Name == "notepad.exe" && p.ProcessId == 0xe10).ShouldBe(named);
        r.Findings.Any(f => f.Attack.Any(a => a.Id == "T1055.003")).ShouldBe(named);
        r.InjectedMemory.ShouldHaveSingleItem().TargetPid.ShouldBe("e10"); // the bytes are saved by pid either way
    }
}
