using Alkanet.Cli.Commands;
using static Alkanet.Cli.Tests.CliRunner;

namespace Alkanet.Cli.Tests;

public sealed class RunCommandTests
{
    [Fact]
    public void Durations_take_seconds_minutes_and_plain_numbers()
    {
        RunCommands.ParseDuration("60s").ShouldBe(TimeSpan.FromSeconds(60));
        RunCommands.ParseDuration("2m").ShouldBe(TimeSpan.FromMinutes(2));
        RunCommands.ParseDuration("90").ShouldBe(TimeSpan.FromSeconds(90));
        RunCommands.ParseDuration("500ms").ShouldBe(TimeSpan.FromMilliseconds(500));
        Should.Throw<UsageException>(() => RunCommands.ParseDuration("soon"));
    }

    [Fact]
    public void A_bad_firmware_is_a_usage_error()
    {
        var (code, _, err) = Run("run", "samples/dropper", "--firmware", "coreboot");
        code.ShouldBe(ExitCodes.Usage);
        err.ShouldContain("--firmware must be bios or uefi");
    }

    [Fact]
    public void A_bad_timeout_is_a_usage_error()
    {
        var (code, _, err) = Run("run", "samples/dropper", "--timeout", "-3s");
        code.ShouldBe(ExitCodes.Usage);
        err.ShouldContain("--timeout");
    }

    [Fact]
    public void A_missing_sample_names_the_path()
    {
        var (code, _, err) = Run("run", "/nonexistent/sample-xyz");
        code.ShouldBe(ExitCodes.Failure);
        err.ShouldContain("/nonexistent/sample-xyz");
    }
}
