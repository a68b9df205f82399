using System.Net;
using Alkanet.Core.Json;
using Alkanet.Core.Records;
using Alkanet.Logging.Client;
using Alkanet.Logging.Server;
using Alkanet.Logging.Storage;

namespace Alkanet.Logging.Tests;

/// <summary>A real logger on a loopback port with a temporary data directory.</summary>
internal sealed class LoggerFixture : IDisposable
{
    public const string Token = "test-token-123";

    public LoggerFixture(Func<LoggerServerOptions, IRunStore>? storeFactory = null, string? dataDirectory = null,
        Func<LoggerServerOptions, LoggerServerOptions>? configure = null, int? port = null)
    {
        DataDirectory = dataDirectory ?? Path.Combine(Path.GetTempPath(), "alkanet-logger-test-" + Guid.NewGuid().ToString("n"));
        var options = new LoggerServerOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, port ?? 0),
            Http = null,
            DataDirectory = DataDirectory,
            Token = Token,
            StoreFactory = storeFactory,
        };
        Service = new LoggerService(configure?.Invoke(options) ?? options, Log);
        Service.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
    }

    /// <summary>What the logger logged (its warnings and errors are part of what tests assert).</summary>
    public ListLogger Log { get; } = new();

    public LoggerService Service { get; }

    public string DataDirectory { get; }

    public string Endpoint => $"127.0.0.1:{Service.TracerEndpoint.Port}";

    public LoggerClient Connect(string runId, int capacity = 1 << 16, BufferFullPolicy onFull = BufferFullPolicy.BackPressure, string token = Token) =>
        LoggerClient.Connect(new LoggerClientOptions
        {
            Endpoint = Endpoint, Token = token, RunId = runId, BufferCapacity = capacity, OnFull = onFull,
            InitialBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(300),
        });

    /// <summary>Leaves the data directory in place (a test reopens it after the logger stopped).</summary>
    public bool KeepData { get; set; }

    public void Dispose()
    {
        Service.Dispose();
        if (KeepData) return;
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Keeps every log line (level and formatted message) in memory.</summary>
internal sealed class ListLogger : Microsoft.Extensions.Logging.ILogger<LoggerService>
{
    private readonly List<(Microsoft.Extensions.Logging.LogLevel Level, string Text)> _lines = [];

    public IReadOnlyList<(Microsoft.Extensions.Logging.LogLevel Level, string Text)> Lines
    {
        get { lock (_lines) return [.. _lines]; }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => logLevel >= Microsoft.Extensions.Logging.LogLevel.Information;

    public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state,
        Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel)) return;
        lock (_lines) _lines.Add((logLevel, formatter(state, exception)));
    }
}

internal static class RunChecks
{
    /// <summary>Asserts the stored run (database and run file) holds exactly first..last, in order, once each,
    /// and returns the number of records lost to LOSS markers.</summary>
    public static long ShouldBeCompleteRun(IRunStore store, string runFile, string runId, long first, long last)
    {
        var info = store.FindRun(runId).ShouldNotBeNull();
        info.FirstNo.ShouldBe(first);
        info.LastNo.ShouldBe(last);
        var fromDb = CheckSequence(ParseExport(store, runId), first, last);
        // the block index: every record found through the blocks, in order
        store.ReadJson(runId, new RecordQuery { Limit = 10_000 }).Count.ShouldBe((int)Math.Min(10_000, info.RecordCount));
        var fromFile = CheckSequence(JsonLinesReader.ReadFile(runFile), first, last);
        fromFile.ShouldBe(fromDb);
        return fromDb;
    }

    private static IEnumerable<SyscallRecord> ParseExport(IRunStore store, string runId)
    {
        using var reader = new JsonLinesReader(store.OpenRunJsonLines(runId), "export");
        var r = new SyscallRecord();
        while (reader.TryRead(r)) yield return r;
    }

    private static long CheckSequence(IEnumerable<SyscallRecord> records, long first, long last)
    {
        var expected = first;
        long lost = 0;
        foreach (var r in records)
        {
            r.No.ShouldBe(expected, "gap or duplicate");
            if (r.LogType == LogType.Loss) lost += r.LastCoveredNo - r.No + 1;
            else TestRecordsCheck(r);
            expected = r.LastCoveredNo + 1;
        }
        expected.ShouldBe(last + 1, "run ends early");
        return lost;
    }

    private static void TestRecordsCheck(SyscallRecord r)
    {
        var want = TestRecords.Make(r.No);
        r.Name.ShouldBe(want.Name);
        r.ProcName.ShouldBe(want.ProcName);
    }
}
