using System.Text.Json;
using Alkanet.Cli;
using static Alkanet.Cli.Tests.CliRunner;

namespace Alkanet.Cli.Tests;

/// <summary><c>alkanet syscalls --os linux</c>: the built-in x86-64 table of Debian 12's 6.1 kernel.</summary>
public class SyscallsLinuxTests
{
    [Fact]
    public void Lists_the_linux_table_and_prints_it_by_version()
    {
        var (code, list, _) = Run("syscalls", "--os", "linux");
        code.ShouldBe(0);
        list.ShouldContain("601  x86_64");
        list.ShouldContain("6.1 (Debian 12");

        var (code2, text, err) = Run("syscalls", "--os", "linux", "--build", "601");
        code2.ShouldBe(0, err);
        text.ShouldContain("# linux 6.1 (Debian 12, linux-image-6.1.0-56-amd64), build 601, x86_64:");
        text.ShouldContain("0x0000  read");
        text.ShouldContain("0x003b  execve");
        text.ShouldContain("0x0101  openat");
        text.ShouldNotContain("GUESSED");
        err.ShouldBeEmpty();
    }

    [Fact]
    public void Json_works_as_for_windows_and_another_version_is_a_guess()
    {
        var (code, json, _) = Run("syscalls", "--os", "linux", "--build", "601", "--json");
        code.ShouldBe(0);
        using (var doc = JsonDocument.Parse(json))
        {
            doc.RootElement.GetProperty("os").GetString().ShouldBe("linux");
            doc.RootElement.GetProperty("exact").GetBoolean().ShouldBeTrue();
            doc.RootElement.GetProperty("kind").GetString().ShouldBe("x86_64");
            doc.RootElement.GetProperty("calls").GetProperty("101").GetString().ShouldBe("openat");
            doc.RootElement.GetProperty("calls").GetProperty("e7").GetString().ShouldBe("exit_group");
        }

        var (_, listJson, _) = Run("syscalls", "--os", "linux", "--json");
        using (var doc = JsonDocument.Parse(listJson))
        {
            var tables = doc.RootElement.EnumerateArray().ToList();
            tables.Select(t => t.GetProperty("kind").GetString()).ShouldBe(["x86_64", "i386"]);
            tables.ShouldAllBe(t => t.GetProperty("build").GetInt32() == 601 && t.GetProperty("calls").GetInt32() > 300);
        }

        var (code2, guessed, err) = Run("syscalls", "--os", "linux", "--build", "510");
        code2.ShouldBe(0);
        guessed.ShouldContain("GUESSED");
        err.ShouldContain("no table for Linux 5.10");

        var (code3, i386, err3) = Run("syscalls", "--os", "linux", "--build", "601", "--kind", "ia32");
        code3.ShouldBe(0, err3);
        i386.ShouldContain("build 601, i386:");
        i386.ShouldContain("0x0005  open");
        i386.ShouldContain("0x0066  socketcall");
        i386.ShouldContain("0x00c0  mmap2");

        var (code4, _, err4) = Run("syscalls", "--os", "linux", "--build", "601", "--kind", "arm64");
        code4.ShouldBe(ExitCodes.Failure);
        err4.ShouldContain("kind 'arm64'");
    }
}
