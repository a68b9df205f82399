using System.CommandLine;
using System.Runtime.InteropServices;
using Alkanet.Farm.Storage;
using Alkanet.Farm.Worker;
using Microsoft.Extensions.Logging;

namespace Alkanet.Cli.Commands;

/// <summary><c>alkanet worker</c>: an analysis host's worker (docs/FARM.md). Each slot runs one task at a time as
/// <c>alkanet run</c>; SIGTERM drains (running tasks finish and are handed in, no new one is taken).</summary>
internal static class WorkerCommand
{
    public static Command Create()
    {
        var broker = new Option<string>("--broker") { Description = "RabbitMQ URI.",
            DefaultValueFactory = _ => "amqp://guest:guest@127.0.0.1:5672/" };
        var database = new Option<string?>("--database", "--store") { Description = "PostgreSQL connection string (or ALKANET_DATABASE)." };
        var logger = new Option<string>("--logger") { Description = "The service's tracer port, HOST:PORT.",
            DefaultValueFactory = _ => "127.0.0.1:7600" };
        var tokenFile = new Option<string>("--token-file") { Description = "The service's token, in a file (handed to each run).", Required = true };
        var kind = new Option<string>("--kind") { Description = "The guest kind this worker serves.", DefaultValueFactory = _ => "linux" };
        var slots = new Option<int>("--slots") { Description = "Tasks run at once (one guest each).", DefaultValueFactory = _ => 1 };
        var work = new Option<string>("--work") { Description = "Folder for the attempts' files.", DefaultValueFactory = _ => "alkanet-worker-work" };
        var image = new Option<string?>("--image")
        {
            Description = "For a Windows kind (windows-NAME): the disk image runs boot (alkanet run --image IMAGE --os windows).", HelpName = "DISK",
        };
        var profiles = new Option<string?>("--profiles") { Description = "With --image: the folder of Windows symbol tables (run --profiles).",
            HelpName = "DIR" };
        var memory = new Option<string?>("--memory") { Description = "With --image: the guest's RAM (run --memory, e.g. 4G).", HelpName = "SIZE" };
        var leeway = new Option<string>("--leeway") { Description = "Time beyond a task's timeout before its run is killed as hung.",
            DefaultValueFactory = _ => "60s" };
        var runner = new Option<string?>("--runner")
        {
            Description = "The command that runs a task, before its 'run SAMPLE ...' arguments (default: this alkanet).", HelpName = "COMMAND",
        };
        var cmd = new Command("worker", "Run an analysis host's worker: take tasks from the farm's queue, run each in a guest, hand in the results.")
        {
            broker, database, logger, tokenFile, kind, slots, work, image, profiles, memory, leeway, runner,
        };
        cmd.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var k = parse.GetValue(kind)!;
            if (!FarmNames.IsValidKind(k)) throw new UsageException($"--kind: '{k}' is not a kind (a-z 0-9 - _)");
            if (parse.GetValue(slots) is < 1 or > 64) throw new UsageException("--slots: 1 to 64");
            var tf = parse.GetValue(tokenFile)!;
            if (LoggerEndpoints.Token(null, tf) is null) throw new UsageException($"--token-file: {tf} holds no token");
            var ep = parse.GetValue(logger)!;
            try { Alkanet.Logging.Client.LoggerClientOptions.ParseEndpoint(ep); }
            catch (ArgumentException ex) { throw new UsageException($"--logger: {ex.Message}"); }
            var img = parse.GetValue(image);
            if (img is not null && !File.Exists(img)) throw new UsageException($"--image: {img} does not exist");
            // the kind names the guest, so a Windows queue never reaches a Linux host or the reverse
            if (img is null != !k.StartsWith("windows-", StringComparison.Ordinal))
                throw new UsageException(img is null
                    ? $"--kind {k}: a windows-NAME kind needs --image DISK"
                    : $"--image needs a windows-NAME kind, not '{k}'");
            if (img is null && (parse.GetValue(profiles) is not null || parse.GetValue(memory) is not null))
                throw new UsageException("--profiles and --memory apply to --image workers only");
            if (parse.GetValue(profiles) is { } pr && !Directory.Exists(pr)) throw new UsageException($"--profiles: {pr} is not a folder");
            if (parse.GetValue(memory) is { } mem) RunImageOptions.ParseMemory(mem);
            var options = new WorkerOptions
            {
                BrokerUri = FarmCommandOptions.BrokerUri(parse.GetValue(broker)!),
                DatabaseConnectionString = FarmCommandOptions.Database(parse.GetValue(database)),
                LoggerEndpoint = ep, TokenFile = tf, Kind = k, Slots = parse.GetValue(slots), WorkDirectory = Path.GetFullPath(parse.GetValue(work)!),
                Image = img is null ? null : Path.GetFullPath(img),
                Profiles = parse.GetValue(profiles) is { } p ? Path.GetFullPath(p) : null, Memory = parse.GetValue(memory),
                Leeway = RunCommands.ParseDuration(parse.GetValue(leeway)!, "--leeway"),
                Runner = parse.GetValue(runner) is { } r ? r.Split(' ', StringSplitOptions.RemoveEmptyEntries) : ThisAlkanet(),
            };
            using var factory = LoggerFactory.Create(b => b.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            }));
            using var worker = new FarmWorker(options, factory.CreateLogger("alkanet.worker"));
            // SIGTERM and Ctrl-C drain: the running tasks finish and are handed in; a second signal is not special
            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; worker.Drain(); });
            using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; worker.Drain(); });
            try
            {
                worker.Start();
            }
            catch (OperationCanceledException)
            {
                return ExitCodes.Failure;
            }
            output.WriteLine($"alkanet worker: {worker.Name}, {options.Slots} slot(s), kind {k}");
            output.Flush();
            worker.WaitStopped();
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>How to start this same alkanet again: its apphost, or <c>dotnet alkanet.dll</c>.</summary>
    private static string[] ThisAlkanet()
    {
        var process = Environment.ProcessPath ?? throw new CommandFailedException("cannot tell which alkanet is running; give --runner");
        return Path.GetFileNameWithoutExtension(process) == "dotnet" ? [process, typeof(WorkerCommand).Assembly.Location] : [process];
    }
}
