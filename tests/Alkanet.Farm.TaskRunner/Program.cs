using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Alkanet.Core.Records;
using Alkanet.Logging.Client;

// `alkanet-test-runner run SAMPLE --out DIR --timeout Ns --logger HOST:PORT --token-file F --run-id ID [--network]
//  [--capture none|sample|all] [--yara RULES]`:
// what a farm worker runs in tests instead of `alkanet run`. The "sample" is a script of lines `key value`:
//   records N      stream N synthetic Linux-like records through the real logger client (default 1000)
//   spread-ms D    spread them over about D milliseconds (default 0: as fast as the logger takes them)
//   exit C         then exit with code C (default 0); with C != 0 print "guest kernel panic" as alkanet run would fail
//   hang           after streaming, never exit (the worker must kill it)
//   drop TEXT      with --capture sample or all, "capture" TEXT as a dropped file: files/SHA256 and artifacts.json,
//                  as alkanet run lays them out (docs/EVIDENCE.md)
// report.json names the --capture it got and the SHA-256 of the --yara file, so tests see what the worker passed on.
// Exit codes as alkanet run's: 0 the run is complete and the logger acknowledged every record; 1 failure; 2 usage.
var a = new Dictionary<string, string>(StringComparer.Ordinal);
string? sample = null;
var network = false;
for (var i = 1; i < args.Length; i++)
{
    if (args[i] == "--network") network = true;
    else if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length) a[args[i]] = args[++i];
    else sample = args[i];
}
if (args.Length == 0 || args[0] != "run" || sample is null || !a.TryGetValue("--out", out var outArg) || !a.TryGetValue("--logger", out var endpoint)
    || !a.TryGetValue("--run-id", out var runId) || !a.TryGetValue("--token-file", out var tokenFile))
{
    Console.Error.WriteLine("usage: alkanet-test-runner run SAMPLE --out DIR --timeout T --logger HOST:PORT --token-file F --run-id ID");
    return 2;
}
long records = 1000, spreadMs = 0;
var exit = 0;
var hang = false;
string? drop = null;
foreach (var line in File.ReadAllLines(sample))
{
    var parts = line.Split(' ', 2, StringSplitOptions.TrimEntries);
    switch (parts[0])
    {
        case "records": records = long.Parse(parts[1], CultureInfo.InvariantCulture); break;
        case "spread-ms": spreadMs = long.Parse(parts[1], CultureInfo.InvariantCulture); break;
        case "exit": exit = int.Parse(parts[1], CultureInfo.InvariantCulture); break;
        case "hang": hang = true; break;
        case "drop": drop = parts[1]; break;
    }
}
var outDir = Directory.CreateDirectory(outArg).FullName;
var token = File.ReadAllText(tokenFile).Trim();
Console.WriteLine($"test runner: run {runId}, {records} records, network {network}");
using (var client = LoggerClient.Connect(new LoggerClientOptions
       {
           Endpoint = endpoint, Token = token, RunId = runId, ClientName = "alkanet-test-runner", CloseTimeout = TimeSpan.FromMinutes(2),
       }))
{
    var r = new SyscallRecord();
    string[] calls = ["openat", "read", "write", "close", "mmap", "execve"];
    var start = DateTime.UtcNow;
    for (long no = 0; no < records; no++)
    {
        r.Reset();
        r.No = no;
        r.LogType = (no & 1) == 0 ? LogType.Enter : LogType.Exit;
        r.Pid = (ulong)(100 + no / 200);
        r.Tid = r.Pid;
        r.ParentPid = 1;
        r.ProcName = "sample";
        r.Name = calls[(int)(no / 2 % calls.Length)];
        r.SysNo = (ulong)(no / 2 % calls.Length);
        r.TimestampNs = (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;
        if (r.LogType == LogType.Exit) r.RetVal = 0;
        client.Write(r);
        if (spreadMs > 0)
        {
            var due = start.AddMilliseconds(spreadMs * (no + 1) / records);
            if (due > DateTime.UtcNow) Thread.Sleep(due - DateTime.UtcNow);
        }
    }
    if (!client.Flush(TimeSpan.FromMinutes(2)))
    {
        Console.Error.WriteLine($"the logger did not acknowledge every record ({client.Fault ?? client.LastError})");
        return 1;
    }
}
if (hang) Thread.Sleep(Timeout.Infinite);
var capture = a.GetValueOrDefault("--capture", "sample");
var yara = a.TryGetValue("--yara", out var rules) ? Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(rules))) : "";
if (drop is not null && capture != "none")
{
    var bytes = Encoding.UTF8.GetBytes(drop);
    var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
    File.WriteAllBytes(Path.Combine(Directory.CreateDirectory(Path.Combine(outDir, "files")).FullName, sha), bytes);
    File.WriteAllText(Path.Combine(outDir, "artifacts.json"),
        $$"""{"files":[{"path":"/tmp/dropped.txt","size":{{bytes.Length}},"sha256":"{{sha}}","content":"files/{{sha}}"}],"memory":[]}""");
}
File.WriteAllText(Path.Combine(outDir, "report.json"),
    $$"""{"format":"test-runner","run":"{{runId}}","records":{{records}},"capture":"{{capture}}","yara":"{{yara}}"}""");
File.WriteAllText(Path.Combine(outDir, "report.md"), $"# Test run {runId}\n\n{records} records\n");
File.WriteAllText(Path.Combine(outDir, "report.html"), $"<!doctype html><title>{runId}</title><h1 id=\"title\">Test run {runId}</h1>");
if (exit != 0)
{
    Console.Error.WriteLine("alkanet: the guest's kernel panicked (test runner)");
    return exit;
}
return 0;
