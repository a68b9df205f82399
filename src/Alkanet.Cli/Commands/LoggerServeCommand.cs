using System.CommandLine;
using System.Net;
using Alkanet.Logging.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Alkanet.Cli.Commands;

/// <summary><c>alkanet logger [--listen ..] [--data ..] [--token ..|--token-file ..] [--http ..|--no-http]</c>.</summary>
internal static class LoggerServeCommand
{
    public static Command Create()
    {
        var listen = new Option<string>("--listen") { Description = "Where tracers connect, ADDRESS:PORT.",
            DefaultValueFactory = _ => "127.0.0.1:7600" };
        var data = new Option<string>("--data") { Description = "Data directory (SQLite database, run files).",
            DefaultValueFactory = _ => "alkanet-logger-data" };
        var token = new Option<string?>("--token") { Description = "Shared token tracers and the control API must present." };
        var tokenFile = new Option<string?>("--token-file") { Description = "Read the token from this file." };
        var http = new Option<string>("--http") { Description = "Where the page and API listen, ADDRESS:PORT.",
            DefaultValueFactory = _ => "127.0.0.1:7601" };
        var noHttp = new Option<bool>("--no-http") { Description = "Serve no page or API." };
        var syncFull = new Option<bool>("--sync-full")
        {
            Description = "fsync every commit (survives power loss, slower); default survives a killed logger.",
        };
        var allowedHosts = new Option<string[]>("--allowed-hosts")
        {
            Description = "Host names the page answers to (default: localhost and loopback addresses, and the --http address); "
                + "'*' allows any.",
            AllowMultipleArgumentsPerToken = true,
        };
        var reportRules = new Option<string?>("--report-rules")
        {
            Description = "A directory of extra YAML rules for the page's reports (as alkanet report --rules).", HelpName = "DIR",
        };
        var cmd = new Command("logger",
            "Run the logging machine: receive tracers' records, store them (SQLite + JSON Lines per run), control the tracers, serve the live page.")
        {
            listen, data, token, tokenFile, http, noHttp, syncFull, reportRules, allowedHosts,
        };
        cmd.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var dataDir = parse.GetValue(data)!;
            var listenEp = LoggerEndpoints.Parse(parse.GetValue(listen)!, "--listen");
            IPEndPoint? httpEp = parse.GetValue(noHttp) ? null : LoggerEndpoints.Parse(parse.GetValue(http)!, "--http");
            // before anything is written: bad rules stop the logger here
            LoggerReportProvider? reports = null;
            if (httpEp is not null)
            {
                try { reports = new LoggerReportProvider(Alkanet.Analysis.Rules.RuleSet.LoadDefault(parse.GetValue(reportRules))); }
                catch (Alkanet.Analysis.Rules.RuleFormatException ex) { throw new CommandFailedException(ex.Message); }
            }
            var theToken = LoggerEndpoints.Token(parse.GetValue(token), parse.GetValue(tokenFile));
            if (theToken is not null && theToken.Length < LoggerServerOptions.MinTokenLength)
                throw new UsageException($"the token must be at least {LoggerServerOptions.MinTokenLength} characters (it has {theToken.Length}): " +
                                         "it is all that guards who may stream into and control this logger; omit --token to have one generated");
            if (theToken is null)
            {
                theToken = LoggerEndpoints.NewTokenFile(dataDir, out var tokenPath);
                output.WriteLine($"alkanet logger: no token given; using the one in {tokenPath}");
            }
            var options = new LoggerServerOptions
            {
                Listen = listenEp, Http = httpEp, DataDirectory = dataDir, Token = theToken, SynchronousFull = parse.GetValue(syncFull),
                // the page's report view runs the report tool on a run's stored records
                ReportProvider = reports,
                AllowedHosts = parse.GetValue(allowedHosts) ?? [],
            };
            using var host = LoggerHost.Build(options);
            try
            {
                host.Start();
            }
            catch (IOException ex)
            {
                throw new CommandFailedException($"cannot start the logger: {ex.Message}");
            }
            catch (System.Net.Sockets.SocketException ex)
            {
                throw new CommandFailedException($"cannot listen on {listenEp}: {ex.Message}");
            }
            var service = host.Services.GetRequiredService<LoggerService>();
            output.WriteLine($"alkanet logger: tracers on {service.TracerEndpoint}");
            if (httpEp is not null)
            {
                var server = host.Services.GetService<Microsoft.AspNetCore.Hosting.Server.IServer>();
                var addresses = server?.Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses;
                output.WriteLine($"alkanet logger: page on {addresses?.FirstOrDefault() ?? "http://" + httpEp}/");
            }
            if (!IPAddress.IsLoopback(listenEp.Address) || (httpEp is not null && !IPAddress.IsLoopback(httpEp.Address)))
                output.WriteLine("alkanet logger: warning: listening beyond loopback; the wire and the page are not encrypted " +
                                 "(the token and the records travel in clear text): use a private network or a tunnel");
            output.WriteLine($"alkanet logger: data in {Path.GetFullPath(dataDir)}");
            output.Flush();
            host.WaitForShutdown();
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
