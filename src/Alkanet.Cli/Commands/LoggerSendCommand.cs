using System.CommandLine;
using System.Diagnostics;
using Alkanet.Core.Json;
using Alkanet.Core.Records;
using Alkanet.Logging.Client;
using Alkanet.Logging.Wire;

namespace Alkanet.Cli.Commands;

/// <summary><c>alkanet logger send FILE --to HOST:PORT --run ID</c>: stream an existing log (or synthetic records)
/// through the tracer-side client, as a live tracer would. For demos, tests and benchmarks.</summary>
internal static class LoggerSendCommand
{
    public static Command Create()
    {
        var file = new Argument<string?>("FILE") { Description = "Log to send (JSON Lines, .gz ok); omit with --synthetic.",
            Arity = ArgumentArity.ZeroOrOne };
        var to = new Option<string>("--to") { Description = "The logger, HOST:PORT.", Required = true };
        var runId = new Option<string?>("--run") { Description = "Run id (default: the file name, or synthetic-TIME)." };
        var token = new Option<string?>("--token") { Description = "The logger's token." };
        var tokenFile = new Option<string?>("--token-file") { Description = "Read the token from this file." };
        var synthetic = new Option<long>("--synthetic") {
            Description = "Send this many generated records (timestamp = send time) instead of a file." };
        var capacity = new Option<int>("--buffer") { Description = "Unacknowledged records kept for resending.", DefaultValueFactory = _ => 1 << 18 };
        var lossMarkers = new Option<bool>("--loss-markers") { Description =
            "When the buffer is full, drop and record a LOSS marker instead of waiting." };
        var noCompression = new Option<bool>("--no-compression") { Description = "Do not offer Brotli." };
        var renumber = new Option<bool>("--renumber") { Description = "Number records 0,1,2.. as sent (for logs whose numbers are not a run's)." };
        var rate = new Option<long>("--rate") { Description = "Records per second to aim for (0: as fast as possible)." };
        var ackTimeout = new Option<int>("--ack-timeout")
        {
            Description = "Seconds to wait for the logger to acknowledge the last record (then exit 1, saying how many are not).",
            DefaultValueFactory = _ => 60,
        };
        var cmd = new Command("send", "Stream a log (or --synthetic records) to a logger through the tracer-side client.")
        {
            file, to, runId, token, tokenFile, synthetic, capacity, lossMarkers, noCompression, renumber, rate, ackTimeout,
        };
        cmd.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var path = parse.GetValue(file);
            var count = parse.GetValue(synthetic);
            if ((path is null) == (count <= 0)) throw new UsageException("give a FILE or --synthetic N (not both)");
            var theToken = LoggerEndpoints.Token(parse.GetValue(token), parse.GetValue(tokenFile))
                ?? throw new UsageException("the logger's token is needed: --token, --token-file or ALKANET_LOGGER_TOKEN");
            var id = parse.GetValue(runId) ?? (path is null ? $"synthetic-{DateTime.UtcNow:yyyyMMdd-HHmmss}" : SafeRunId(path));
            if (!HelloMessage.IsValidRunId(id)) throw new UsageException($"--run: '{id}' is not a valid run id (A-Z a-z 0-9 . _ -)");
            var options = new LoggerClientOptions
            {
                Endpoint = parse.GetValue(to)!, Token = theToken, RunId = id, BufferCapacity = parse.GetValue(capacity),
                OnFull = parse.GetValue(lossMarkers) ? BufferFullPolicy.LossMarker : BufferFullPolicy.BackPressure,
                Compression = parse.GetValue(noCompression) ? WireCompression.None : WireCompression.Brotli,
                CloseTimeout = TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(ackTimeout))),
            };
            try
            {
                LoggerClientOptions.ParseEndpoint(options.Endpoint);
            }
            catch (ArgumentException ex)
            {
                throw new UsageException($"--to: {ex.Message}");
            }
            var sw = Stopwatch.StartNew();
            long sent;
            using (var client = LoggerClient.Connect(options))
            try
            {
                var pace = new Pacer(parse.GetValue(rate));
                sent = path is null
                    ? SendSynthetic(client, count, pace)
                    : SendFile(client, path, parse.GetValue(renumber), pace);
                // the report must be true: "acknowledged" only when every record is durable on the logger
                if (!client.Flush(options.CloseTimeout))
                    throw new CommandFailedException($"the logger did not acknowledge every record within {options.CloseTimeout.TotalSeconds:0} s: " +
                        $"durable through no {client.LastAckedNo}, {client.BufferedRecords} record(s) unacknowledged, " +
                        $"{client.RecordsDropped} dropped ({client.LastError ?? "no error from the connection"})");
                output.WriteLine($"alkanet logger send: {sent} records of run {id} acknowledged in {sw.Elapsed.TotalSeconds:0.00} s " +
                                 $"({sent / sw.Elapsed.TotalSeconds:0} records/s), {client.RecordsDropped} dropped, {client.Connections} " +
                                     $"connection(s)");
            }
            catch (InvalidOperationException ex)
            {
                throw new CommandFailedException(ex.Message); // the logger refused us (wrong token, reused run numbers)
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static string SafeRunId(string path)
    {
        var name = Path.GetFileName(path);
        foreach (var ext in new[] { ".gz", ".jsonl", ".json", ".log" })
            if (name.EndsWith(ext, StringComparison.OrdinalIgnoreCase)) name = name[..^ext.Length];
        var chars = name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_').ToArray();
        var id = new string(chars).TrimStart('.');
        return id.Length == 0 ? "run" : id[..Math.Min(id.Length, 100)];
    }

    private static long SendFile(LoggerClient client, string path, bool renumber, Pacer pace)
    {
        using var reader = JsonLinesReader.Open(path);
        var r = new SyscallRecord();
        long n = 0;
        while (reader.TryRead(r))
        {
            if (renumber) r.No = n;
            try
            {
                client.Write(r);
            }
            catch (ArgumentException ex)
            {
                throw new CommandFailedException($"{path}: line {reader.RecordLine}: {ex.Message.Split(" (Parameter", 2)[0]}; use --renumber to " +
                    $"send it anyway");
            }
            n++;
            pace.Tick(n);
        }
        return n;
    }

    private static readonly string[] Procs = ["explorer.exe", "cmd.exe", "sample.exe", "svchost.exe", "powershell.exe"];
    private static readonly string[] Calls = ["NtCreateFile", "NtReadFile", "NtWriteFile", "NtClose", "NtOpenKey", "NtQueryValueKey",
        "NtAllocateVirtualMemory", "NtCreateUserProcess"];

    /// <summary>Records shaped like a Windows trace (ENTER/EXIT pairs, paths, handles); timestamp = the time of sending.</summary>
    private static long SendSynthetic(LoggerClient client, long count, Pacer pace)
    {
        var r = new SyscallRecord();
        for (long no = 0; no < count; no++)
        {
            r.Reset();
            var p = (int)(no / 64 % Procs.Length);
            r.No = no;
            r.CpuId = (int)(no / 1000 % 2);
            r.LogType = (no & 1) == 0 ? LogType.Enter : LogType.Exit;
            r.Pid = (ulong)(0x1000 + p * 4);
            r.Tid = r.Pid + 4;
            r.ProcName = Procs[p];
            r.ParentPid = p == 0 ? 0x4ul : (ulong)(0x1000 + (p - 1) * 4);
            var c = (int)(no / 2 % Calls.Length);
            r.Name = Calls[c];
            r.SysNo = (ulong)(0x30 + c);
            r.TimestampNs = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;
            if (r.LogType == LogType.Enter)
            {
                r.AdditionalInfo.Set("FileName", "\\??\\C:\\Users\\alice\\AppData\\Local\\Temp\\f"
                    + (no % 1000).ToString(System.Globalization.CultureInfo.InvariantCulture) + ".tmp");
                r.AdditionalInfo.Set("DesiredAccess", "0x120089");
            }
            else
            {
                r.RetVal = 0;
                r.AdditionalInfo.Set("FileHandle", "0x" + (no % 4096).ToString("x", System.Globalization.CultureInfo.InvariantCulture));
            }
            client.Write(r);
            pace.Tick(no + 1);
        }
        return count;
    }

    /// <summary>Keeps a target rate by sleeping when ahead of it.</summary>
    private sealed class Pacer(long perSecond)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();

        public void Tick(long done)
        {
            if (perSecond <= 0 || (done & 1023) != 0) return;
            var due = TimeSpan.FromSeconds((double)done / perSecond);
            var ahead = due - _clock.Elapsed;
            if (ahead > TimeSpan.FromMilliseconds(1)) Thread.Sleep(ahead);
        }
    }
}
