using Alkanet.Cli;

namespace Alkanet.Farm.Tests;

/// <summary>`alkanet serve` and `alkanet worker` check their options before connecting to anything.</summary>
public sealed class CommandLineTests
{
    private static (int Code, string Err) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = AlkanetCli.Run(args, output, error);
        return (code, error.ToString());
    }

    [Theory]
    [InlineData("--no-token", "the service needs a token")]
    [InlineData("--kinds", "--kinds: 'Linux!' is not a kind")]
    [InlineData("--database", "PostgreSQL connection string is needed")]
    [InlineData("--broker", "--broker: 'http://x' is not an amqp:// URI")]
    [InlineData("--max-attempts", "--max-attempts: 1 to 20")]
    public void Serve_refuses_bad_options_with_exit_code_2(string what, string message)
    {
        var args = new List<string> { "serve", "--token", "t", "--database", "Host=127.0.0.1;Username=a;Database=b" };
        switch (what)
        {
            case "--no-token": args.RemoveRange(1, 2); break;
            case "--kinds": args.AddRange(["--kinds", "Linux!"]); break;
            case "--database": args.RemoveRange(3, 2); break;
            case "--broker": args.AddRange(["--broker", "http://x"]); break;
            case "--max-attempts": args.AddRange(["--max-attempts", "0"]); break;
        }
        var saved = Environment.GetEnvironmentVariable("ALKANET_DATABASE");
        var savedToken = Environment.GetEnvironmentVariable("ALKANET_LOGGER_TOKEN");
        Environment.SetEnvironmentVariable("ALKANET_DATABASE", null);
        Environment.SetEnvironmentVariable("ALKANET_LOGGER_TOKEN", null);
        try
        {
            var (code, err) = Run([.. args]);
            code.ShouldBe(ExitCodes.Usage, err);
            err.ShouldContain(message);
        }
        finally
        {
            Environment.SetEnvironmentVariable("ALKANET_DATABASE", saved);
            Environment.SetEnvironmentVariable("ALKANET_LOGGER_TOKEN", savedToken);
        }
    }

    [Fact]
    public void Worker_refuses_bad_options_with_exit_code_2()
    {
        var token = Path.GetTempFileName();
        File.WriteAllText(token, "t\n");
        try
        {
            string[] common = ["worker", "--database", "Host=127.0.0.1;Username=a;Database=b", "--token-file", token];
            Run([.. common, "--kind", "Bad Kind"]).Err.ShouldContain("--kind: 'Bad Kind' is not a kind");
            Run([.. common, "--slots", "0"]).Err.ShouldContain("--slots: 1 to 64");
            Run([.. common, "--logger", "nowhere"]).Err.ShouldContain("--logger:");
            Run([.. common, "--leeway", "soon"]).Err.ShouldContain("--leeway 'soon' is not a positive duration");
            Run([.. common, "--image", "/no/such.qcow2"]).Err.ShouldContain("--image: /no/such.qcow2 does not exist");
            Run([.. common, "--kind", "windows-10"]).Err.ShouldContain("--kind windows-10: a windows-NAME kind needs --image DISK");
            Run([.. common, "--image", token]).Err.ShouldContain("--image needs a windows-NAME kind, not 'linux'");
            Run([.. common, "--profiles", "/tmp"]).Err.ShouldContain("--profiles and --memory apply to --image workers only");
            Run([.. common, "--kind", "windows-10", "--image", token, "--profiles", "/no/such"]).Err
                .ShouldContain("--profiles: /no/such is not a folder");
            Run([.. common, "--kind", "windows-10", "--image", token, "--memory", "lots"]).Err.ShouldContain("--memory 'lots'");
            Run("worker", "--database", "Host=x;Username=a;Database=b", "--token-file", "/no/such/token").Code.ShouldBe(ExitCodes.Usage);
        }
        finally
        {
            File.Delete(token);
        }
    }
}
