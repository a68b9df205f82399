using System.Text;
using Alkanet.Analysis.Output;
using Alkanet.Analysis.Pipeline;

namespace Alkanet.Analysis.Tests;

/// <summary>The reports the network and export tests read: a real networked run (Fixtures/netprobe-run: the trace,
/// network.json and pcap of <c>alkanet run samples/netprobe --network</c>), the Windows fixture (processes, mutex,
/// registry values, injection), and a log with a complete and a partial dropped file.</summary>
internal static class ExportInputs
{
    public static string NetprobeTrace => TestLogs.Fixture(Path.Combine("netprobe-run", "trace.jsonl.gz"));

    /// <summary>The netprobe run as <c>alkanet report DIR/trace.jsonl.gz</c> makes it (the sidecar names the sample,
    /// network.json is found beside the log).</summary>
    public static Report Netprobe() => ReportPipeline.Run(ReportSource.FromFiles([NetprobeTrace]));

    public static Report Windows() => TestLogs.Report(TestLogs.Fixture("windows-injection.jsonl"), "sample.exe");

    /// <summary>/tmp/payload.sh written whole; /tmp/big.bin written by one 4 KiB call of which the hook kept the first
    /// bytes (partial).</summary>
    public static Report Dropped(EvidenceLog log)
    {
        var script = Encoding.ASCII.GetBytes("#!/bin/sh\necho dropped\n");
        log.Call("openat", "3", """{"path": "/tmp/payload.sh", "flags": "241", "out_handle": "3", "fd_path": "/tmp/payload.sh"}""");
        log.Call("write", script.Length.ToString("x"),
            $$"""{"fd": "3", "fd_path": "/tmp/payload.sh", "size": "{{script.Length:x}}", "data": "{{Convert.ToBase64String(script)}}"}""");
        log.Call("openat", "4", """{"path": "/tmp/big.bin", "flags": "241", "out_handle": "4", "fd_path": "/tmp/big.bin"}""");
        log.Call("write", "1000",
            $$"""{"fd": "4", "fd_path": "/tmp/big.bin", "size": "1000", "data": "{{Convert.ToBase64String(new byte[384])}}"}""");
        return log.Report();
    }

    /// <summary>A copy of the netprobe run folder in a temporary folder (the test may damage its network.json).</summary>
    public static string CopyOfNetprobe()
    {
        var dir = Directory.CreateTempSubdirectory("alkanet-net-").FullName;
        foreach (var f in Directory.GetFiles(TestLogs.Fixture("netprobe-run"))) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        return dir;
    }
}
