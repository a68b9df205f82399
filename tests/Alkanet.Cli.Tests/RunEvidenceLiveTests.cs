using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

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

    private static (JsonElement Artifacts, string Dir) Run(string sample)
    {
        RunLive.Require();
        var dir = Path.Combine(Path.GetTempPath(), $"alkanet-evidence-{sample}-{Guid.NewGuid():N}");
        var r = CliRunner.Run(["run", RunLive.Sample(sample), "--out", dir, "--timeout", "90s", "--yara", Rules]);
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
    public void Selfdelete_copy_is_kept_though_deleted_and_marked_partial_past_the_per_call_capture()
    {
        var (artifacts, dir) = Run("selfdelete");
        try
        {
            var f = Entry(artifacts.GetProperty("files"), "/tmp/.hidden");
            f.GetProperty("deleted").GetBoolean().ShouldBeTrue();
            f.GetProperty("partial").GetBoolean().ShouldBeTrue("it copies itself in 64 KiB writes; 384 bytes of each are captured");
            f.GetProperty("type").GetString()!.ShouldStartWith("ELF 64-bit");
            f.GetProperty("size").GetInt64().ShouldBeGreaterThan(384);
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
}
