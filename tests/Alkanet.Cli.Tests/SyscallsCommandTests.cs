using System.Text.Json;
using Alkanet.Cli;
using static Alkanet.Cli.Tests.CliRunner;

namespace Alkanet.Cli.Tests;

public class SyscallsCommandTests
{
    [Fact]
    public void Prints_the_1909_table()
    {
        var (code, text, err) = Run("syscalls", "--os", "windows", "--build", "18363");
        code.ShouldBe(0);
        text.ShouldContain("Windows 10 (1909), build 18363");
        text.ShouldContain("0x0055  NtCreateFile");
        text.ShouldContain("0x00bd  NtCreateThreadEx");
        err.ShouldBeEmpty();
    }

    [Fact]
    public void Json_says_exact_or_guessed()
    {
        var (_, json, _) = Run("syscalls", "--build", "19041", "--json");
        using var doc = JsonDocument.Parse(json);
        doc.RootElement.GetProperty("exact").GetBoolean().ShouldBeTrue();
        doc.RootElement.GetProperty("calls").GetProperty("c1").GetString().ShouldBe("NtCreateThreadEx");

        var (code, guessed, err) = Run("syscalls", "--build", "19500");
        code.ShouldBe(0);
        guessed.ShouldContain("GUESSED");
        err.ShouldContain("warning");
    }

    [Fact]
    public void Lists_tables_and_rejects_an_unknown_os()
    {
        Run("syscalls").Out.ShouldContain("Windows 11 and Server (11 25H2)");
        var (code, _, err) = Run("syscalls", "--os", "beos", "--build", "1");
        code.ShouldBe(2);
        err.ShouldContain("beos");
    }
}
