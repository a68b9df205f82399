// SHA-1 and MD5 are the file identifiers artifacts.json carries; the test recomputes them.
#pragma warning disable CA5350, CA5351
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Alkanet.Analysis.Evidence;
using Alkanet.Analysis.Output;

namespace Alkanet.Analysis.Tests;

/// <summary>Dropped files rebuilt from the <c>data</c> of captured writes, read through the log reader and the report
/// builder as <c>alkanet report</c> reads them: content and hashes, renames and unlinks followed, gaps with their
/// reasons, the scope, and the files written under DIR (files/SHA256, artifacts.json).</summary>
public sealed class DroppedFileTests : IDisposable
{
    private readonly EvidenceLog _log = new();

    public void Dispose() => _log.Dispose();

    private static readonly byte[] Elf = [0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0, .. new byte[56]];

    private void Call(string call, string ret, string info, string pid = "41") => _log.Call(call, ret, info, pid);

    private void Open(string path, string fd, string flags = "241", string pid = "41") =>
        Call("openat", fd, $$"""{"path": "{{path}}", "flags": "{{flags}}", "out_handle": "{{fd}}", "fd_path": "{{path}}"}""", pid);

    private void Write(string path, string fd, byte[] data, long written, string pid = "41", string extra = "")
        => Call("write", written.ToString("x"), $$"""{"fd": "{{fd}}", "fd_path": "{{path}}", "size": "{{written:x}}"{{extra}}, "data": "{{Convert.ToBase64String(data)}}"}""", pid);

    private Report Report(bool all = false) => _log.Report(all);

    private static string Sha256(byte[] b) => Convert.ToHexStringLower(SHA256.HashData(b));

    [Fact]
    public void Consecutive_writes_rebuild_the_file_and_its_hashes()
    {
        var script = Encoding.ASCII.GetBytes("#!/bin/sh\necho dropped\n");
        Open("/tmp/payload.sh", "3");
        Write("/tmp/payload.sh", "3", script[..10], 10);
        Write("/tmp/payload.sh", "3", script[10..], script.Length - 10);
        var f = Report().DroppedFiles.ShouldHaveSingleItem();
        f.Path.ShouldBe("/tmp/payload.sh");
        f.Size.ShouldBe(script.Length);
        f.Sha256.ShouldBe(Sha256(script));
        f.Md5.ShouldBe(Convert.ToHexStringLower(MD5.HashData(script)));
        f.Partial.ShouldBeFalse();
        f.Deleted.ShouldBeFalse();
        f.Records.ShouldBe([3, 4, 5, 6]);
    }

    [Fact]
    public void A_rename_adds_a_path_and_an_unlink_marks_the_file_deleted()
    {
        Open("/tmp/.x", "3");
        Write("/tmp/.x", "3", Elf, Elf.Length);
        Call("rename", "0", """{"old_path": "/tmp/.x", "new_path": "/tmp/payload"}""");
        Call("unlink", "0", """{"path": "/tmp/payload"}""");
        var f = Report().DroppedFiles.ShouldHaveSingleItem();
        f.Paths.ShouldBe(["/tmp/.x", "/tmp/payload"]);
        f.Deleted.ShouldBeTrue();
        f.Sha256.ShouldBe(Sha256(Elf));
        f.Records.ShouldContain(7); // the unlink's ENTER
        if (LibMagic.Available) f.Type!.ShouldStartWith("ELF 64-bit");
    }

    [Fact]
    public void A_write_longer_than_its_capture_is_partial_with_the_per_call_reason()
    {
        var head = new byte[384];
        Random.Shared.NextBytes(head);
        Open("/tmp/big", "3");
        Write("/tmp/big", "3", head, 1000);
        var f = Report().DroppedFiles.ShouldHaveSingleItem();
        f.Size.ShouldBe(1000);
        f.Captured.ShouldBe(384);
        f.Partial.ShouldBeTrue();
        f.PartialReasons.ShouldBe(["the hook captures the first 384 bytes of a call (per-call cap)"]);
        f.Sha256.ShouldBe(Sha256([.. head, .. new byte[616]]));
    }

    [Fact]
    public void Dup_fcntl_and_lseek_move_one_shared_position()
    {
        Open("/tmp/seek", "3");
        Write("/tmp/seek", "3", "AAAAAAAA"u8.ToArray(), 8);
        Call("dup", "4", """{"fd": "3"}""");
        Call("lseek", "0", """{"fd": "4", "whence": "0"}""");
        Write("/tmp/seek", "4", "BB"u8.ToArray(), 2);
        Call("fcntl", "5", """{"fd": "4", "cmd": "0"}""");
        Write("/tmp/seek", "5", "CC"u8.ToArray(), 2); // at the position the write through fd 4 left: 2
        Call("fcntl", "0", """{"fd": "5", "cmd": "1"}"""); // F_GETFD: no alias
        Write("/tmp/seek", "3", "D"u8.ToArray(), 1);
        var f = Report().DroppedFiles.ShouldHaveSingleItem();
        f.Partial.ShouldBeFalse();
        f.Sha256.ShouldBe(Sha256("BBCCDAAA"u8.ToArray()));
    }

    [Fact]
    public void A_hard_link_adds_the_second_name()
    {
        Open("/tmp/a", "3");
        Write("/tmp/a", "3", Elf, Elf.Length);
        Call("linkat", "0", """{"old_path": "/tmp/a", "new_path": "/tmp/b"}""");
        Call("unlink", "0", """{"path": "/tmp/a"}""");
        var f = Report().DroppedFiles.ShouldHaveSingleItem();
        f.Paths.ShouldBe(["/tmp/a", "/tmp/b"]);
    }

    [Fact]
    public void A_buffer_that_stops_being_readable_is_a_gap_at_that_address()
    {
        Open("/tmp/cut", "3");
        Write("/tmp/cut", "3", new byte[100], 300, extra: """, "data_unread": "7064" """);
        var f = Report().DroppedFiles.ShouldHaveSingleItem();
        f.Captured.ShouldBe(100);
        f.PartialReasons.ShouldBe(["the buffer at 0x7064 could not be read"]);
    }

    [Fact]
    public void The_per_file_cap_comes_from_the_options()
    {
        Open("/tmp/capped", "3");
        Write("/tmp/capped", "3", new byte[100], 100);
        var report = _log.Report(limits: new DroppedFileLimits { MaxFileBytes = 60 });
        var f = report.DroppedFiles.ShouldHaveSingleItem();
        f.Captured.ShouldBe(60);
        f.PartialReasons.ShouldContain("per-file cap reached");
    }

    [Fact]
    public void An_unreadable_buffer_and_a_short_write_are_told_apart()
    {
        Open("/tmp/u", "3");
        Call("write", "10", """{"fd": "3", "fd_path": "/tmp/u", "size": "10", "data": "<unreadable@7000>"}""");
        Write("/tmp/u", "3", [1, 2, 3, 4], 2); // the kernel wrote 2 of 4: only those count
        var f = Report().DroppedFiles.ShouldHaveSingleItem();
        f.Size.ShouldBe(0x12);
        f.Captured.ShouldBe(2);
        f.PartialReasons.ShouldBe(["the buffer at 0x7000 could not be read"]);
    }

    [Fact]
    public void A_full_disk_leaves_the_content_that_did_not_fit_unstored_and_says_so_in_the_index()
    {
        using var disk = Alkanet.Logging.Tests.Faults.Tmpfs.TryMount(1, out var why);
        if (disk is null)
        {
            if (Environment.GetEnvironmentVariable("CI") == "true") Assert.Fail(why);
            Assert.Skip(why);
        }
        var big = new byte[3 << 20];
        new Random(5).NextBytes(big);
        Open("/tmp/big", "3");
        Write("/tmp/big", "3", big, big.Length);
        Open("/tmp/small", "4");
        Write("/tmp/small", "4", Elf, Elf.Length);
        var report = Report();
        ArtifactStore.Write(disk.Path, report.DroppedFileContent, report.InjectedMemoryContent).ShouldBe(1);
        using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(disk.Path, ArtifactStore.IndexName)));
        index.RootElement.GetProperty("not_stored").GetInt32().ShouldBe(1);
        var entries = index.RootElement.GetProperty("files").EnumerateArray().ToDictionary(e => e.GetProperty("path").GetString()!);
        entries["/tmp/big"].GetProperty("stored").GetBoolean().ShouldBeFalse();
        entries["/tmp/big"].GetProperty("store_error").GetString()!.ShouldContain(Sha256(big), customMessage: "names the file");
        entries["/tmp/small"].GetProperty("stored").GetBoolean().ShouldBeTrue();
        File.ReadAllBytes(Path.Combine(disk.Path, "files", Sha256(Elf))).ShouldBe(Elf);
        File.Exists(Path.Combine(disk.Path, "files", Sha256(big))).ShouldBeFalse("nothing half-written under its final name");
        Directory.EnumerateFiles(Path.Combine(disk.Path, "files"), "*.tmp").ShouldBeEmpty();
    }

    [Fact]
    public void Positional_writes_land_at_their_offset()
    {
        Open("/tmp/p", "3");
        Call("pwrite64", "2", $$"""{"fd": "3", "fd_path": "/tmp/p", "size": "2", "offset": "4", "data": "{{Convert.ToBase64String("zz"u8)}}"}""");
        Write("/tmp/p", "3", "abcd"u8.ToArray(), 4);
        var f = Report().DroppedFiles.ShouldHaveSingleItem();
        f.Sha256.ShouldBe(Sha256("abcdzz"u8.ToArray()));
    }

    [Fact]
    public void Pipes_sockets_devices_and_failed_writes_are_no_files()
    {
        Write("pipe:[123]", "1", [1], 1);
        Write("/dev/null", "4", [1], 1);
        Open("/tmp/f", "3");
        Write("/tmp/f", "3", [1], unchecked((long)0xfffffffffffffff7)); // -EBADF
        Report().DroppedFiles.ShouldBeEmpty();
    }

    [Fact]
    public void Bytes_sendfile_moved_into_a_file_are_a_named_gap()
    {
        Open("/tmp/s", "3");
        Write("/tmp/s", "3", [1, 2], 2);
        Call("sendfile", "100", """{"fd": "3", "fd_path": "/tmp/s", "size": "100"}""");
        var f = Report().DroppedFiles.ShouldHaveSingleItem();
        f.Size.ShouldBe(0x102);
        f.PartialReasons.ShouldBe(["written by sendfile, whose bytes the hook does not read"]);
    }

    [Fact]
    public void Only_the_samples_files_unless_all_are_asked_for()
    {
        Open("/tmp/mine", "3");
        Write("/tmp/mine", "3", [1], 1);
        Open("/var/log/other", "5", pid: "77");
        Write("/var/log/other", "5", [2], 1, pid: "77");
        Report().DroppedFiles.Select(f => f.Path).ShouldBe(["/tmp/mine"]);
        Report(all: true).DroppedFiles.Select(f => f.Path).ShouldBe(["/tmp/mine", "/var/log/other"]);
    }

    [Fact]
    public void Malformed_data_is_a_gap_not_a_crash()
    {
        Open("/tmp/m", "3");
        Call("write", "3", """{"fd": "3", "fd_path": "/tmp/m", "size": "3", "data": "***"}""");
        Report().DroppedFiles.ShouldHaveSingleItem().PartialReasons.ShouldBe(["the record's data is not base64"]);
    }

    [Fact]
    public void The_store_writes_content_addressed_files_and_the_index()
    {
        Open("/tmp/a", "3");
        Write("/tmp/a", "3", Elf, Elf.Length);
        Open("/tmp/b", "4");
        Write("/tmp/b", "4", Elf, Elf.Length); // the same bytes twice: one file on disk
        var report = Report();
        var outDir = Path.Combine(_log.Dir, "run");
        Directory.CreateDirectory(outDir);
        ArtifactStore.Write(outDir, report.DroppedFileContent);
        Directory.GetFiles(Path.Combine(outDir, "files")).Select(Path.GetFileName).ShouldBe([Sha256(Elf)]);
        File.ReadAllBytes(Path.Combine(outDir, "files", Sha256(Elf))).ShouldBe(Elf);
        using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, ArtifactStore.IndexName)));
        var files = index.RootElement.GetProperty("files");
        files.GetArrayLength().ShouldBe(2);
        files[1].GetProperty("path").GetString().ShouldBe("/tmp/b");
        files[1].GetProperty("sha1").GetString().ShouldBe(Convert.ToHexStringLower(SHA1.HashData(Elf)));
        files[1].GetProperty("ranges")[0].GetProperty("records").EnumerateArray().Select(e => e.GetInt64()).ShouldBe([7L, 8L]);
        Directory.GetFiles(outDir, "*.tmp", SearchOption.AllDirectories).ShouldBeEmpty();
    }

    [Fact]
    public void The_markdown_and_html_reports_have_the_section()
    {
        Open("/tmp/payload", "3");
        Write("/tmp/payload", "3", Elf, Elf.Length);
        var report = Report();
        ReportWriters.ToMarkdown(report).ShouldContain($"| /tmp/payload | 64 | `{Sha256(Elf)}` |");
        HtmlReportWriter.Write(report).ShouldContain($"<a href=\"files/{Sha256(Elf)}\" download>");
        ReportWriters.ToJson(report).ShouldContain($"\"sha256\": \"{Sha256(Elf)}\"");
    }
}
