using System.CommandLine;
using Alkanet.Farm.Service;
using Alkanet.Farm.Storage;
using Alkanet.Logging.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Alkanet.Cli.Commands;

/// <summary><c>alkanet serve</c>: the farm's submission service (docs/FARM.md) — the logger's tracer port and page,
/// storing into PostgreSQL, plus the task API, the farm page and the queues on RabbitMQ.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var listen = new Option<string>("--listen") { Description = "Where the workers' runs stream records, ADDRESS:PORT.",
            DefaultValueFactory = _ => "127.0.0.1:7600" };
        var http = new Option<string>("--http") { Description = "Where the API and the page listen, ADDRESS:PORT.",
            DefaultValueFactory = _ => "127.0.0.1:7601" };
        var token = new Option<string?>("--token") { Description = "Token for submitting, cancelling, control and the tracer port." };
        var tokenFile = new Option<string?>("--token-file") { Description = "Read the token from this file." };
        var database = new Option<string?>("--database")
        {
            Description = "PostgreSQL connection string (or ALKANET_DATABASE), e.g. 'Host=127.0.0.1;Port=5432;Username=alkanet;Database=alkanet'.",
        };
        var broker = new Option<string>("--broker") { Description = "RabbitMQ URI.",
            DefaultValueFactory = _ => "amqp://guest:guest@127.0.0.1:5672/" };
        var kinds = new Option<string>("--kinds") { Description = "Guest kinds this farm runs, comma-separated (the first is the default).",
            DefaultValueFactory = _ => "linux" };
        var maxSample = new Option<long>("--max-sample-bytes") { Description = "Largest sample accepted.", DefaultValueFactory = _ => 64L << 20 };
        var maxAttempts = new Option<int>("--max-attempts") { Description = "Attempts a task gets before it fails (and is dead-lettered).",
            DefaultValueFactory = _ => 3 };
        var reportRules = new Option<string?>("--report-rules") { Description = "Extra YAML rules for the page's run reports.", HelpName = "DIR" };
        var cmd = new Command("serve",
            "Run the farm's service: submissions (REST API + page), the task queues on RabbitMQ, and the records of every run into PostgreSQL.")
        {
            listen, http, token, tokenFile, database, broker, kinds, maxSample, maxAttempts, reportRules,
        };
        cmd.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var theToken = LoggerEndpoints.Token(parse.GetValue(token), parse.GetValue(tokenFile))
                ?? throw new UsageException("the service needs a token: --token, --token-file or ALKANET_LOGGER_TOKEN");
            var kindList = parse.GetValue(kinds)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (kindList.Length == 0) throw new UsageException("--kinds: at least one kind");
            foreach (var k in kindList)
                if (!FarmNames.IsValidKind(k)) throw new UsageException($"--kinds: '{k}' is not a kind (a-z 0-9 - _)");
            if (parse.GetValue(maxAttempts) is < 1 or > 20) throw new UsageException("--max-attempts: 1 to 20");
            if (parse.GetValue(maxSample) is < 1 or > (1L << 30)) throw new UsageException("--max-sample-bytes: 1 to 1073741824");
            LoggerReportProvider reports;
            try { reports = new LoggerReportProvider(Alkanet.Analysis.Rules.RuleSet.LoadDefault(parse.GetValue(reportRules))); }
            catch (Alkanet.Analysis.Rules.RuleFormatException ex) { throw new CommandFailedException(ex.Message); }
            var options = new FarmServiceOptions
            {
                Logger = new LoggerServerOptions
                {
                    Listen = LoggerEndpoints.Parse(parse.GetValue(listen)!, "--listen"), Http = LoggerEndpoints.Parse(parse.GetValue(http)!,
                        "--http"),
                    Token = theToken, ReportProvider = reports,
                },
                DatabaseConnectionString = FarmCommandOptions.Database(parse.GetValue(database)),
                BrokerUri = FarmCommandOptions.BrokerUri(parse.GetValue(broker)!),
                Kinds = kindList, MaxSampleBytes = parse.GetValue(maxSample), MaxAttempts = parse.GetValue(maxAttempts),
            };
            using var app = FarmHost.Build(options);
            try
            {
                app.Services.GetRequiredService<FarmService>().Prepare(CancellationToken.None);
                app.Start();
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or IOException or System.Net.Sockets.SocketException
                                           || Alkanet.Farm.Queue.Broker.IsBrokerFailure(ex))
            {
                throw new CommandFailedException($"cannot start the service: {ex.Message}");
            }
            var logger = app.Services.GetRequiredService<LoggerService>();
            output.WriteLine($"alkanet serve: runs stream to {logger.TracerEndpoint}; page and API on http://{options.Logger.Http}/farm");
            output.WriteLine($"alkanet serve: kinds {string.Join(", ", kindList)}; broker {options.BrokerUri}");
            output.Flush();
            app.WaitForShutdown();
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
