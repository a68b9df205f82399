using System.CommandLine;
using System.Net.Http.Json;
using System.Text.Json;

namespace Alkanet.Cli.Commands;

/// <summary><c>alkanet logger control RUN COMMAND [--processes ..] [--pids ..] [--calls ..]</c>: the page's control
/// buttons from a shell (through the logger's control API, with the token).</summary>
internal static class LoggerControlCommand
{
    private static readonly string[] Commands = ["start", "stop", "pause", "resume", "setfilter", "status"];

    public static Command Create()
    {
        var run = new Argument<string>("RUN") { Description = "The run whose tracer to control." };
        var command = new Argument<string>("COMMAND") { Description = "start, stop, pause, resume, setfilter or status." };
        command.AcceptOnlyFromAmong(Commands);
        var http = new Option<string>("--http") { Description = "The logger's page/API address, HOST:PORT.",
            DefaultValueFactory = _ => "127.0.0.1:7601" };
        var token = new Option<string?>("--token") { Description = "The logger's token." };
        var tokenFile = new Option<string?>("--token-file") { Description = "Read the token from this file." };
        var procs = new Option<string?>("--processes") { Description = "setfilter: process names, comma-separated." };
        var pids = new Option<string?>("--pids") { Description = "setfilter: pids (hex), comma-separated." };
        var calls = new Option<string?>("--calls") { Description = "setfilter: call names, comma-separated." };
        var cmd = new Command("control", "Send a control command to a run's tracer (needs the token).") { run, command, http, token, tokenFile, procs,
            pids, calls };
        cmd.SetAction(parse =>
        {
            var theToken = LoggerEndpoints.Token(parse.GetValue(token), parse.GetValue(tokenFile))
                ?? throw new UsageException("the logger's token is needed: --token, --token-file or ALKANET_LOGGER_TOKEN");
            var endpoint = LoggerEndpoints.Parse(parse.GetValue(http)!, "--http");
            var verb = parse.GetValue(command)!;
            using var client = new HttpClient { BaseAddress = new Uri($"http://{endpoint}/"), Timeout = TimeSpan.FromSeconds(15) };
            client.DefaultRequestHeaders.Add("X-Alkanet-Token", theToken);
            var body = new Dictionary<string, string?>
            {
                ["command"] = verb == "status" ? "statusrequest" : verb,
                ["processes"] = parse.GetValue(procs), ["pids"] = parse.GetValue(pids), ["calls"] = parse.GetValue(calls),
            };
            HttpResponseMessage response;
            try
            {
                response = client.PostAsJsonAsync($"api/runs/{Uri.EscapeDataString(parse.GetValue(run)!)}/control", body).GetAwaiter().GetResult();
            }
            catch (HttpRequestException ex)
            {
                throw new CommandFailedException($"cannot reach the logger at {endpoint}: {ex.Message}");
            }
            var text = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
            if (!response.IsSuccessStatusCode)
            {
                var reason = response.StatusCode == System.Net.HttpStatusCode.Unauthorized ? "wrong token" : ErrorOf(text);
                throw new CommandFailedException($"logger refused ({(int)response.StatusCode}): {reason}");
            }
            parse.InvocationConfiguration.Output.WriteLine(text);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static string ErrorOf(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.TryGetProperty("error", out var e) ? e.GetString() ?? json : json;
        }
        catch (JsonException)
        {
            return json;
        }
    }
}
