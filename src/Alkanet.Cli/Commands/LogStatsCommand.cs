using System.CommandLine;
using Alkanet.Cli.Output;
using Alkanet.Core.Json;
using Alkanet.Core.Logs;
using Alkanet.Core.Records;
using Spectre.Console;

namespace Alkanet.Cli.Commands;

/// <summary><c>alkanet log stats</c>: count records by call and by process.</summary>
internal static class LogStatsCommand
{
    public static Command Create()
    {
        var files = LogArguments.Files();
        var json = LogArguments.Json();
        var skipBad = LogArguments.SkipBad();
        var top = new Option<int>("--top") { Description = "Rows in the call and process tables (0 = all).", DefaultValueFactory = _ => 20 };
        var cmd = new Command("stats", "Count records by call and by process (all files together).") { files, json, skipBad, top };
        cmd.SetAction(parse =>
        {
            var topN = parse.GetValue(top);
            if (topN < 0) throw new UsageException("--top must be zero or more");
            var stats = new LogStatistics();
            long skipped = 0;
            var r = new SyscallRecord();
            foreach (var file in parse.GetValue(files)!)
            {
                using var reader = JsonLinesReader.Open(file, new RecordReaderOptions { SkipBad = parse.GetValue(skipBad) });
                ProgressReporter.Run(reader, file, () =>
                {
                    while (reader.TryRead(r)) stats.Add(r);
                });
                skipped += reader.SkippedCount;
            }
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json)) ConsoleOutput.WriteJson(output, ToJson(stats, skipped, parse.GetValue(files)!));
            else Render(ConsoleOutput.Ansi(output), stats, skipped, topN);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static object ToJson(LogStatistics s, long skipped, string[] files) => new
    {
        Files = files,
        s.Records,
        s.Enters,
        s.Exits,
        s.LossMarkers,
        s.LostRecords,
        Skipped = skipped,
        s.FirstNo,
        s.LastNo,
        Cpus = s.Cpus.ToArray(),
        DurationNs = s.LastTimestampNs - s.FirstTimestampNs,
        Calls = s.Calls.Values.OrderByDescending(c => c.Total).ThenBy(c => c.Name, StringComparer.Ordinal)
            .Select(c => new { c.Name, SysNo = c.SysNo.ToString("x"), c.Enters, c.Exits }),
        Processes = s.Processes.OrderByDescending(p => p.Records).ThenBy(p => p.Pid)
            .Select(p => new { Pid = p.Pid.ToString("x"), p.Name, p.Calls, p.Records, Threads = p.Threads.Count }),
    };

    private static void Render(IAnsiConsole console, LogStatistics s, long skipped, int top)
    {
        var summary = new Table().Border(TableBorder.Rounded).AddColumn("").AddColumn(new TableColumn("").RightAligned()).HideHeaders();
        summary.AddRow("records", s.Records.ToString("N0"));
        summary.AddRow("ENTER / EXIT", $"{s.Enters:N0} / {s.Exits:N0}");
        summary.AddRow("no range", s.FirstNo is null ? "-" : $"{s.FirstNo}..{s.LastNo}");
        summary.AddRow("processes / calls", $"{s.Processes.Count():N0} / {s.Calls.Count:N0}");
        summary.AddRow("cpus", s.Cpus.Count == 0 ? "-" : string.Join(",", s.Cpus));
        if (s.FirstTimestampNs is { } t0 && s.LastTimestampNs is { } t1) summary.AddRow("duration", $"{(t1 - t0) / 1e9:F3} s");
        if (s.LossMarkers > 0) summary.AddRow("[red]lost records[/]", $"{s.LostRecords:N0} in {s.LossMarkers} LOSS marker(s)");
        if (skipped > 0) summary.AddRow("[yellow]skipped malformed[/]", skipped.ToString("N0"));
        console.Write(summary);

        var calls = new Table().Border(TableBorder.Simple).Title("calls")
            .AddColumn("call").AddColumn(new TableColumn("sys_no").RightAligned())
            .AddColumn(new TableColumn("ENTER").RightAligned()).AddColumn(new TableColumn("EXIT").RightAligned());
        foreach (var c in Limit(s.Calls.Values.OrderByDescending(c => c.Total).ThenBy(c => c.Name, StringComparer.Ordinal), top))
            calls.AddRow(Markup.Escape(c.Name), c.SysNo.ToString("x"), c.Enters.ToString("N0"), c.Exits.ToString("N0"));
        console.Write(calls);

        var procs = new Table().Border(TableBorder.Simple).Title("processes")
            .AddColumn(new TableColumn("pid").RightAligned()).AddColumn("name")
            .AddColumn(new TableColumn("calls").RightAligned()).AddColumn(new TableColumn("threads").RightAligned());
        foreach (var p in Limit(s.Processes.OrderByDescending(p => p.Records).ThenBy(p => p.Pid), top))
            procs.AddRow(p.Pid.ToString("x"), Markup.Escape(p.Name), p.Calls.ToString("N0"), p.Threads.Count.ToString("N0"));
        console.Write(procs);
    }

    private static IEnumerable<T> Limit<T>(IEnumerable<T> items, int top) => top == 0 ? items : items.Take(top);
}
