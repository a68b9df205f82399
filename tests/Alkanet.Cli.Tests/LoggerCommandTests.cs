using System.Net;
using Alkanet.Core.Json;
using Alkanet.Core.Records;
using Alkanet.Logging.Server;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using static Alkanet.Cli.Tests.CliRunner;

namespace Alkanet.Cli.Tests;

public class LoggerCommandTests : IDisposable
{
    private const string Token = "cli-test-token";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "alkanet-cli-logger-" + Guid.NewGuid().ToString("n"));

    private string WriteLog(int count, long firstNo = 0)
    {
        Directory.CreateDirectory(_dir);
        var path = Path.Combine(_dir, "input.jsonl");
        using var w = JsonLinesWriter.Create(path);
        for (var i = 0; i < count; i++)
        {
            var r = new SyscallRecord
            {
                No = firstNo + i, CpuId = 0, LogType = i % 2 == 0 ? LogType.Enter : LogType.Exit, Pid = 0x1a4, Tid = 0x1a8,
                ProcName = "sample.exe", Name = i % 4 < 2 ? "NtCreateFile" : "NtClose", SysNo = 0x55, TimestampNs = 1_700_000_000_000_000_000 + i,
            };
            r.AdditionalInfo.Set("FileName", $"C:\\f{i}.txt");
            w.Write(r);
        }
        return path;
    }

    [Fact]
    public async Task Send_then_export_gives_back_the_same_records_gzipped()
    {
        var input = WriteLog(3000, firstNo: 10);
        var data = Path.Combine(_dir, "data");
        using (var logger = new LoggerService(new LoggerServerOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0), Http = null, DataDirectory = data, Token = Token,
        }))
        {
            await logger.StartAsync(TestContext.Current.CancellationToken);
            var sent = Run("logger", "send", input, "--to", $"127.0.0.1:{logger.TracerEndpoint.Port}", "--token", Token, "--run", "cli-run");
            sent.ExitCode.ShouldBe(0, sent.Err);
            sent.Out.ShouldContain("3000 records of run cli-run acknowledged");
            // the same log again into the same run: a new stream reusing stored numbers is refused, not merged
            var again = Run("logger", "send", input, "--to", $"127.0.0.1:{logger.TracerEndpoint.Port}", "--token", Token, "--run", "cli-run");
            again.ExitCode.ShouldBe(ExitCodes.Failure);
            again.Err.ShouldContain("already holds records through no 3009");
            var wrong = Run("logger", "send", input, "--to", $"127.0.0.1:{logger.TracerEndpoint.Port}", "--token", "bad", "--run", "other");
            wrong.ExitCode.ShouldBe(ExitCodes.Failure);
            wrong.Err.ShouldContain("wrong token");
        }
        var output = Path.Combine(_dir, "out.jsonl.gz");
        var export = Run("logger", "export", "cli-run", "-o", output, "--data", data);
        export.ExitCode.ShouldBe(0, export.Err);
        export.Err.ShouldContain("3000 records");
        var original = JsonLinesReader.ReadFile(input).Select(r => RecordJson.Serialize(r)).ToList();
        var exported = JsonLinesReader.ReadFile(output).Select(r => RecordJson.Serialize(r)).ToList();
        exported.ShouldBe(original);
        File.Exists(output + ".partial").ShouldBeFalse();
    }

    [Fact]
    public async Task Control_reaches_the_tracer_only_with_the_token()
    {
        var httpPort = FreePort();
        using var host = LoggerHost.Build(new LoggerServerOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0), Http = new IPEndPoint(IPAddress.Loopback, httpPort),
            DataDirectory = Path.Combine(_dir, "data"), Token = Token,
        }, logging => logging.ClearProviders());
        await host.StartAsync(TestContext.Current.CancellationToken);
        var service = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<LoggerService>(host.Services);
        using var tracer = Alkanet.Logging.Client.LoggerClient.Connect(new Alkanet.Logging.Client.LoggerClientOptions
        {
            Endpoint = $"127.0.0.1:{service.TracerEndpoint.Port}", Token = Token, RunId = "ctl",
        });
        tracer.WaitConnected(TimeSpan.FromSeconds(10)).ShouldBeTrue();
        var http = $"127.0.0.1:{httpPort}";
        var denied = Run("logger", "control", "ctl", "pause", "--http", http, "--token", "wrong");
        denied.ExitCode.ShouldBe(ExitCodes.Failure);
        denied.Err.ShouldContain("wrong token");
        tracer.Control.State.ShouldBe(Alkanet.Logging.Wire.TracerState.Running);
        Run("logger", "control", "ctl", "pause", "--http", http, "--token", Token).ExitCode.ShouldBe(0);
        var until = DateTime.UtcNow.AddSeconds(10);
        while (tracer.Control.State != Alkanet.Logging.Wire.TracerState.Paused && DateTime.UtcNow < until) Thread.Sleep(10);
        tracer.Control.State.ShouldBe(Alkanet.Logging.Wire.TracerState.Paused);
        var filter = Run("logger", "control", "ctl", "setfilter", "--calls", "NtCreateFile,NtClose", "--http", http, "--token", Token);
        filter.ExitCode.ShouldBe(0, filter.Err);
        var status = Run("logger", "control", "ctl", "status", "--http", http, "--token", Token);
        status.ExitCode.ShouldBe(0, status.Err);
        status.Out.ShouldContain("\"state\":\"Paused\"");
        status.Out.ShouldContain("NtCreateFile");
        var none = Run("logger", "control", "no-such-run", "stop", "--http", http, "--token", Token);
        none.ExitCode.ShouldBe(ExitCodes.Failure);
        none.Err.ShouldContain("no tracer is connected");
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    private static int FreePort()
    {
        var l = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    [Fact]
    public async Task Send_names_the_line_of_a_record_whose_number_goes_backwards()
    {
        var input = WriteLog(4);
        var lines = File.ReadAllLines(input);
        File.WriteAllLines(input, [lines[0], lines[1], lines[2], lines[1]]);
        using var logger = new LoggerService(new LoggerServerOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0), Http = null, DataDirectory = Path.Combine(_dir, "data"), Token = Token,
        });
        await logger.StartAsync(TestContext.Current.CancellationToken);
        var r = Run("logger", "send", input, "--to", $"127.0.0.1:{logger.TracerEndpoint.Port}", "--token", Token, "--run", "back");
        r.ExitCode.ShouldBe(ExitCodes.Failure);
        r.Err.ShouldContain("line 4");
        r.Err.ShouldContain("goes backwards");
        Run("logger", "send", input, "--to", $"127.0.0.1:{logger.TracerEndpoint.Port}", "--token", Token, "--run", "back2", "--renumber").ExitCode.ShouldBe(0);
    }

    [Fact]
    public void Export_of_an_unknown_run_fails_and_names_the_runs_there_are()
    {
        var data = Path.Combine(_dir, "data");
        using (var store = new Alkanet.Logging.Storage.SqliteRunStore(data)) store.OpenRun("known", "test");
        var output = Path.Combine(_dir, "x.jsonl");
        var r = Run("logger", "export", "nope", "-o", output, "--data", data);
        r.ExitCode.ShouldBe(ExitCodes.Failure);
        r.Err.ShouldContain("no run 'nope'");
        r.Err.ShouldContain("known");
        File.Exists(output).ShouldBeFalse();
    }

    [Fact]
    public void Export_without_a_logger_database_fails_clearly()
    {
        var r = Run("logger", "export", "any", "-o", Path.Combine(_dir, "x.jsonl"), "--data", Path.Combine(_dir, "missing"));
        r.ExitCode.ShouldBe(ExitCodes.Failure);
        r.Err.ShouldContain("no logger database");
    }

    [Fact]
    public void Send_needs_a_token_and_a_valid_endpoint()
    {
        var input = WriteLog(3);
        var saved = Environment.GetEnvironmentVariable("ALKANET_LOGGER_TOKEN");
        Environment.SetEnvironmentVariable("ALKANET_LOGGER_TOKEN", null);
        try
        {
            var noToken = Run("logger", "send", input, "--to", "127.0.0.1:1");
            noToken.ExitCode.ShouldBe(ExitCodes.Usage);
            noToken.Err.ShouldContain("token");
        }
        finally
        {
            Environment.SetEnvironmentVariable("ALKANET_LOGGER_TOKEN", saved);
        }
        var badEndpoint = Run("logger", "send", input, "--to", "nowhere", "--token", "t");
        badEndpoint.ExitCode.ShouldBe(ExitCodes.Usage);
        badEndpoint.Err.ShouldContain("--to");
        var both = Run("logger", "send", input, "--synthetic", "5", "--to", "127.0.0.1:1", "--token", "t");
        both.ExitCode.ShouldBe(ExitCodes.Usage);
    }

    [Fact]
    public void The_logger_refuses_a_bad_listen_address()
    {
        var r = Run("logger", "--listen", "not-an-endpoint", "--data", Path.Combine(_dir, "d"), "--token", "t");
        r.ExitCode.ShouldBe(ExitCodes.Usage);
        r.Err.ShouldContain("--listen");
    }

    [Fact]
    public void The_logger_refuses_a_token_too_short_to_guard_anything_before_writing_anything()
    {
        var data = Path.Combine(_dir, "short");
        var r = Run("logger", "--listen", "127.0.0.1:0", "--no-http", "--data", data, "--token", "abc");
        r.ExitCode.ShouldBe(ExitCodes.Usage);
        r.Err.ShouldContain("the token must be at least 12 characters (it has 3)");
        r.Err.ShouldContain("omit --token to have one generated");
        Directory.Exists(data).ShouldBeFalse();
    }

    public void Dispose()
    {
        GC.SuppressFinalize(this);
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }
}
