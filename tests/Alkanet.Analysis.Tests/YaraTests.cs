using System.Security.Cryptography;
using Alkanet.Analysis.Evidence;

namespace Alkanet.Analysis.Tests;

/// <summary>YARA through Debian's yara program: bad rules fail on load naming the file and line; a match on a dropped file
/// or injected memory is a finding with the rule, its tags, its ATT&amp;CK id from the meta and the artifact's records.</summary>
public sealed class YaraTests : IDisposable
{
    private readonly EvidenceLog _log = new();
    private static readonly string Rules = TestLogs.Fixture("yara");

    public void Dispose() => _log.Dispose();

    private static void RequireYara()
    {
        Assert.SkipWhen(!File.Exists("/usr/bin/yara"), "yara is not installed (scripts/setup.d/60-evidence.sh)");
    }

    [Fact]
    public void Bad_rules_fail_on_load_with_the_file_and_line()
    {
        RequireYara();
        var bad = Path.Combine(_log.Dir, "bad.yar");
        File.WriteAllText(bad, "rule bad\n{\n  condition: undefined_thing\n}\n");
        var ex = Should.Throw<YaraRulesException>(() => YaraRules.Load(bad));
        ex.Message.ShouldContain(bad);
        ex.Message.ShouldContain("(3)");
        Should.Throw<YaraRulesException>(() => YaraRules.Load(Path.Combine(_log.Dir, "none"))).Message.ShouldContain("no such file");
        Should.Throw<YaraRulesException>(() => YaraRules.Load(Directory.CreateDirectory(Path.Combine(_log.Dir, "empty")).FullName))
            .Message.ShouldContain("no .yar");
    }

    [Fact]
    public void A_match_on_a_dropped_file_and_on_injected_memory_is_a_finding()
    {
        RequireYara();
        byte[] elf = [0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0];
        _log.Call("openat", "3", """{"path": "/tmp/x", "flags": "241", "out_handle": "3", "fd_path": "/tmp/x"}""");
        _log.Call("write", "8", $$"""{"fd": "3", "fd_path": "/tmp/x", "size": "8", "data": "{{Convert.ToBase64String(elf)}}"}""");
        var payload = "..INJECTED-PAYLOAD.."u8.ToArray();
        _log.Call("process_vm_writev", payload.Length.ToString("x"),
            $$"""{"target_pid": "63", "base_address": "601000", "size": "14", "data": "{{Convert.ToBase64String(payload)}}"}""");
        var findings = _log.Report(yara: YaraRules.Load(Rules)).Findings.Where(f => f.Rule.StartsWith("yara:", StringComparison.Ordinal)).ToList();
        findings.Count.ShouldBe(2);
        var elfFinding = findings.Single(f => f.Rule == "yara:Elf_Dropped");
        elfFinding.Title.ShouldBe("YARA rule Elf_Dropped matched /tmp/x [elf, dropper]");
        elfFinding.Severity.ShouldBe("medium");
        elfFinding.Attack.ShouldHaveSingleItem().Id.ShouldBe("T1105");
        elfFinding.Records.ShouldBe([3, 4]);
        var injected = findings.Single(f => f.Rule == "yara:Injected_Payload");
        injected.Attack.ShouldHaveSingleItem().Id.ShouldBe("T1055.008");
        injected.Evidence.ShouldHaveSingleItem().Object.ShouldBe("pid 0x63 at 0x601000");
        injected.Description.ShouldBe("the recognisable payload of samples/injector");
        Convert.ToHexStringLower(SHA256.HashData(payload)).ShouldBe(_log.Report().InjectedMemory.Single().Sha256);
    }

    [Fact]
    public void Meta_with_brackets_and_commas_parses()
    {
        var m = YaraRules.Parse("R [a,b] [description=\"x [y], z\",score=70] /tmp/d/" + new string('a', 64), "/tmp/d/");
        m.Rule.ShouldBe("R");
        m.Tags.ShouldBe(["a", "b"]);
        m.Meta["description"].ShouldBe("x [y], z");
        m.Meta["score"].ShouldBe("70");
        m.Sha256.ShouldBe(new string('a', 64));
    }
}
