using System.Text.Json;
using Alkanet.Cli;
using static Alkanet.Cli.Tests.CliRunner;

namespace Alkanet.Cli.Tests;

/// <summary>Runs <c>alkanet profile ...</c> against a temporary profile folder (ALKANET_PROFILES).</summary>
[Collection("ALKANET_PROFILES")]
public sealed class ProfileCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alkanet-cli-profiles-").FullName;
    private readonly string? _saved = Environment.GetEnvironmentVariable("ALKANET_PROFILES");

    public ProfileCommandTests() => Environment.SetEnvironmentVariable("ALKANET_PROFILES", Path.Combine(_dir, "store"));

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("ALKANET_PROFILES", _saved);
        Directory.Delete(_dir, true);
    }

    [Fact]
    public void List_shows_the_embedded_1909_kernel()
    {
        var (code, text, _) = Run("profile", "list");
        code.ShouldBe(0);
        text.ShouldContain("E0093F3AEF15D58168B753C9488A4043-1");
        var (_, json, _) = Run("profile", "list", "--json");
        using var doc = JsonDocument.Parse(json);
        doc.RootElement.GetProperty("profiles")[0].GetProperty("guid").GetString().ShouldBe("E0093F3AEF15D58168B753C9488A4043");
    }

    [Fact]
    public void Show_prints_offsets_symbols_and_what_is_missing_also_for_a_file_path()
    {
        var (code, text, _) = Run("profile", "show");
        code.ShouldBe(0);
        text.ShouldContain("_EPROCESS.ImageFileName");
        text.ShouldContain("0x450");
        text.ShouldContain("KiSystemCall64Shadow");
        text.ShouldContain("missing: none");

        var small = Path.Combine(_dir, "small.json");
        File.WriteAllText(small, """{"metadata":{"format":"6.1.0"},"base_types":{},"user_types":{"_KPCR":{"kind":"struct","size":64,"fields":{"Prcb":{"offset":32,"type":{"kind":"struct","name":"_KPRCB"}}}}},"symbols":{"KiSystemCall64":{"address":4096}},"enums":{}}""");
        var (code2, json, _) = Run("profile", "show", small, "--json");
        code2.ShouldBe(0);
        using var doc = JsonDocument.Parse(json);
        doc.RootElement.GetProperty("offsets").GetProperty("_KPCR.Prcb").GetInt32().ShouldBe(32);
        doc.RootElement.GetProperty("symbols").GetProperty("KiSystemCall64").GetInt32().ShouldBe(4096);
        doc.RootElement.GetProperty("missing").EnumerateArray().Select(e => e.GetString()).ShouldContain("_EPROCESS.ImageFileName");
    }

    [Fact]
    public void Import_adds_a_build_and_rejects_a_bad_file_with_exit_1()
    {
        var isf = Path.Combine(_dir, "kernel.json");
        File.WriteAllText(isf, """{"metadata":{"format":"6.1.0","windows":{"pdb":{"GUID":"AABBCCDDEEFF00112233445566778899","age":5,"database":"ntkrnlmp.pdb"}}},"base_types":{},"user_types":{},"symbols":{},"enums":{}}""");
        var (code, text, _) = Run("profile", "import", isf);
        code.ShouldBe(0);
        text.ShouldContain("AABBCCDDEEFF00112233445566778899-5");
        text.ShouldContain("warning: the table lacks");
        Run("profile", "list").Out.ShouldContain("AABBCCDDEEFF00112233445566778899-5");
        Run("profile", "show", "AABBCCDDEEFF00112233445566778899").ExitCode.ShouldBe(0);

        var bad = Path.Combine(_dir, "bad.json");
        File.WriteAllText(bad, "{\"metadata\":");
        var (badCode, _, err) = Run("profile", "import", bad);
        badCode.ShouldBe(1);
        err.ShouldContain("bad.json");
        Run("profile", "show", "no-such-profile").ExitCode.ShouldBe(1);
    }
}
