using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Alkanet.Vmm.Guest;

namespace Alkanet.Cli.Tests;

/// <summary>Dropped files end to end (issue 12): `alkanet run samples/X` captures the bytes the sample writes, and the run
/// folder holds each file under its SHA-256 with artifacts.json; the hashes expected are computed from what the sample's
/// source writes.</summary>
public sealed partial class RunEvidenceLiveTests
{
    private const string Script = "#!/bin/sh\necho payload-ran > /tmp/payload.out\n"; // samples/dropper/dropper.c's body

    [GeneratedRegex(@"0x([0-9a-f]{2})")]
    private static partial Regex HexByte();

    /// <summary>The ELF the dropper writes: the bytes between its source's ELF-BEGIN and ELF-END marks.</summary>
    private static byte[] DroppedElf()
    {
        var source = File.ReadAllText(Path.Combine(RunLive.Sample("dropper"), "dropper.c"));
        var start = source.IndexOf("/* ELF-BEGIN */", StringComparison.Ordinal);
        var end = source.IndexOf("/* ELF-END */", StringComparison.Ordinal);
        return [.. HexByte().Matches(source[start..end]).Select(m => Convert.ToByte(m.Groups[1].Value, 16))];
    }

    /// <summary>The rules shipped with the analysis tests (tests/Alkanet.Analysis.Tests/Fixtures/yara).</summary>
    private static string Rules => Path.Combine(RunLive.Repo, "tests", "Alkanet.Analysis.Tests", "Fixtures", "yara");

    private static (JsonElement Artifacts, string Dir) Run(string sample, params string[] more)
    {
        RunLive.Require();
        var dir = Path.Combine(Path.GetTempPath(), $"alkanet-evidence-{sample}-{Guid.NewGuid():N}");
        var r = CliRunner.Run(["run", RunLive.Sample(sample), "--out", dir, "--timeout", "180s", "--yara", Rules, .. more]);
        r.ExitCode.ShouldBe(0, r.Err);
        r.Out.ShouldContain("artifacts: ");
        return (RunLive.ReadJson(Path.Combine(dir, "artifacts.json")), dir);
    }

    private static string[] YaraRulesMatched(string dir) =>
        [.. RunLive.ReadJson(Path.Combine(dir, "report.json")).GetProperty("findings").EnumerateArray()
            .Select(f => f.GetProperty("rule").GetString()!).Where(r => r.StartsWith("yara:", StringComparison.Ordinal))];

    private static JsonElement Entry(JsonElement files, string path) =>
        files.EnumerateArray().Single(f => f.GetProperty("paths").EnumerateArray().Any(p => p.GetString() == path));

    [Fact]
    public void Dropper_files_are_stored_under_the_sha256_of_what_the_sample_wrote()
    {
        var (artifacts, dir) = Run("dropper");
        var files = artifacts.GetProperty("files");
        try
        {
            var elf = DroppedElf();
            foreach (var (path, bytes, type) in new[] { ("/tmp/payload.sh", Encoding.ASCII.GetBytes(Script), "POSIX shell script"),
                         ("/tmp/payload.elf", elf, "ELF 64-bit") })
            {
                var f = Entry(files, path);
                var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
                f.GetProperty("sha256").GetString().ShouldBe(sha, path);
                f.GetProperty("partial").GetBoolean().ShouldBeFalse(path);
                f.GetProperty("deleted").GetBoolean().ShouldBeFalse(path);
                f.GetProperty("type").GetString()!.ShouldStartWith(type);
                File.ReadAllBytes(Path.Combine(dir, "files", sha)).ShouldBe(bytes);
                f.GetProperty("ranges")[0].GetProperty("records").GetArrayLength().ShouldBe(2, "the write's ENTER and EXIT");
            }
            File.ReadAllText(Path.Combine(dir, "report.html")).ShouldContain($"href=\"files/{Convert.ToHexStringLower(SHA256.HashData(elf))}\"");
            YaraRulesMatched(dir).ShouldBe(["yara:Elf_Dropped"]);
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    [Fact]
    public void Selfdelete_copy_is_kept_whole_though_deleted()
    {
        var (artifacts, dir) = Run("selfdelete");
        try
        {
            var f = Entry(artifacts.GetProperty("files"), "/tmp/.hidden");
            f.GetProperty("deleted").GetBoolean().ShouldBeTrue();
            f.GetProperty("partial").GetBoolean().ShouldBeFalse("it copies itself in 64 KiB writes, each captured whole (per-call cap 1 MiB)");
            f.GetProperty("type").GetString()!.ShouldStartWith("ELF 64-bit");
            var (_, self) = SampleBuilder.Load(RunLive.Sample("selfdelete"));
            f.GetProperty("sha256").GetString().ShouldBe(Convert.ToHexStringLower(SHA256.HashData(self)), "the copy is the sample's own bytes");
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    [Fact]
    public void Injector_payload_is_saved_with_its_target_and_matched_by_yara()
    {
        var (artifacts, dir) = Run("injector");
        try
        {
            var payload = Encoding.ASCII.GetBytes("ALKANET-INJECTED-PAYLOAD"); // samples/injector/injector.c
            var sha = Convert.ToHexStringLower(SHA256.HashData(payload));
            var m = artifacts.GetProperty("memory").EnumerateArray().Single(e => e.GetProperty("sha256").GetString() == sha);
            m.GetProperty("size").GetInt64().ShouldBe(payload.Length);
            m.GetProperty("techniques")[0].GetString().ShouldBe("process_vm_writev");
            File.ReadAllBytes(Path.Combine(dir, "memory", sha)).ShouldBe(payload);
            var poke = artifacts.GetProperty("memory").EnumerateArray().Single(e => e.GetProperty("techniques")[0].GetString() == "ptrace");
            File.ReadAllBytes(Path.Combine(dir, poke.GetProperty("content").GetString()!)).ShouldBe(BitConverter.GetBytes(0x4242L));
            YaraRulesMatched(dir).ShouldContain("yara:Injected_Payload");
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    /// <summary>samples/bigdrop/bigdrop.c's pattern: byte i is (i * 131 + (i >> 8)) &amp; 0xff.</summary>
    private static byte[] Pattern(int n) => [.. Enumerable.Range(0, n).Select(i => (byte)((i * 131L + (i >> 8)) & 0xff))];

    private static string Sha(byte[] b) => Convert.ToHexStringLower(SHA256.HashData(b));

    /// <summary>The trace's write ENTERs as (pid, carries data).</summary>
    private static List<(string Pid, string Name, bool Data)> Writes(string dir) =>
        [.. File.ReadLines(Path.Combine(dir, "trace.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.Clone())
            .Where(r => r.GetProperty("name").GetString() == "write" && r.GetProperty("logtype").GetString() == "ENTER")
            .Select(r => (r.GetProperty("proc_pid").GetString()!, r.GetProperty("proc_name").GetString()!,
                r.GetProperty("additional_info").TryGetProperty("data", out _)))];

    [Fact]
    public void Bigdrop_writes_are_captured_whole_up_to_the_per_call_cap_and_only_the_samples()
    {
        var (artifacts, dir) = Run("bigdrop");
        try
        {
            var files = artifacts.GetProperty("files");
            var big = Entry(files, "/tmp/big.bin");
            big.GetProperty("sha256").GetString().ShouldBe(Sha(Pattern(300_000)), "300000 bytes in one write span many ring slots");
            big.GetProperty("partial").GetBoolean().ShouldBeFalse();
            big.GetProperty("paths").EnumerateArray().Select(p => p.GetString()).ShouldBe(["/tmp/big.bin", "/tmp/big.link"]);

            var huge = Entry(files, "/tmp/huge.bin");
            huge.GetProperty("size").GetInt64().ShouldBe(1536 * 1024);
            huge.GetProperty("captured").GetInt64().ShouldBe(1 << 20);
            var gap = huge.GetProperty("gaps").EnumerateArray().ShouldHaveSingleItem();
            gap.GetProperty("offset").GetInt64().ShouldBe(1 << 20);
            gap.GetProperty("reason").GetString()!.ShouldContain("per-call cap");
            File.ReadAllBytes(Path.Combine(dir, "files", huge.GetProperty("sha256").GetString()!))
                .ShouldBe([.. Pattern(1 << 20), .. new byte[512 * 1024]]);

            var seek = Entry(files, "/tmp/seek.bin");
            seek.GetProperty("sha256").GetString().ShouldBe(Sha("BBCCAAAA"u8.ToArray()), "dup, lseek and F_DUPFD share one position");
            seek.GetProperty("partial").GetBoolean().ShouldBeFalse();

            var tiny = files.EnumerateArray().Where(f => f.GetProperty("path").GetString()!.StartsWith("/tmp/tiny/", StringComparison.Ordinal))
                .ToList();
            tiny.Count.ShouldBe(500);
            var x = Sha("x"u8.ToArray());
            tiny.Select(f => f.GetProperty("sha256").GetString()).Distinct().ShouldBe([x]);

            var mem = artifacts.GetProperty("memory").EnumerateArray()
                .Single(m => m.GetProperty("techniques")[0].GetString() == "/proc/pid/mem");
            File.ReadAllBytes(Path.Combine(dir, mem.GetProperty("content").GetString()!)).ShouldBe("ALKANET-PROC-MEM"u8.ToArray());

            // --capture sample is applied in the hook: init (pid 1) writing its markers to the console pays no read
            var writes = Writes(dir);
            writes.ShouldContain(w => w.Pid == "1" && !w.Data);
            writes.ShouldNotContain(w => w.Pid == "1" && w.Data);
            writes.ShouldContain(w => w.Name == "bigdrop" && w.Data);
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    [Fact]
    public void Capture_caps_from_the_command_line_mark_the_files_partial_with_their_reason()
    {
        var (artifacts, dir) = Run("bigdrop", "--capture", "all", "--capture-per-call", "64K", "--capture-per-run", "100000");
        try
        {
            var files = artifacts.GetProperty("files");
            var big = Entry(files, "/tmp/big.bin");
            big.GetProperty("captured").GetInt64().ShouldBe(64 * 1024);
            big.GetProperty("gaps")[0].GetProperty("reason").GetString()!.ShouldContain("per-call cap");
            var huge = Entry(files, "/tmp/huge.bin");
            huge.GetProperty("captured").GetInt64().ShouldBe(100_000 - 64 * 1024);
            huge.GetProperty("gaps")[0].GetProperty("reason").GetString().ShouldBe("per-run cap reached");
            Writes(dir).ShouldContain(w => w.Pid == "1" && w.Data, "--capture all reads every process's writes");
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }
}
