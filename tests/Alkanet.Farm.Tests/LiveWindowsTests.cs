using Alkanet.Core.Json;
using Alkanet.Core.Records;
using Alkanet.Farm.Storage;
using Alkanet.Farm.Tests.Servers;
using Alkanet.Introspection.Symbols;
using Alkanet.Introspection.TestKit.Boot;

namespace Alkanet.Farm.Tests;

/// <summary>A Windows kind live: a worker started with <c>--kind windows-NAME --image DISK --profiles DIR</c> runs its
/// tasks as <c>alkanet run --image DISK --os windows</c>. The disk is the kit's bootable synthetic Windows guest (OVMF
/// boots it, the plugin finds its kernel from inside QEMU and traces the calls of its "sample.exe").</summary>
[Collection(FarmCollection.Name)]
public sealed class LiveWindowsTests(FarmServers servers)
{
    [Fact]
    public async Task A_windows_kind_task_runs_in_the_workers_image_and_its_report_has_the_samples_calls()
    {
        LivePrerequisites.Require(ovmf: true);
        var dir = Directory.CreateTempSubdirectory("alkanet-farm-windows-").FullName;
        try
        {
            var profiles = Directory.CreateDirectory(Path.Combine(dir, "profiles")).FullName; // empty: the embedded 1909 ISF is the kernel's
            var boot = SyntheticWindowsBootDisk.Build(new ProfileStore(profiles).LoadDefault(), new SyntheticBootOptions());
            var disk = Path.Combine(dir, "synthetic-windows.img");
            boot.WriteDiskImage(disk);
            using var farm = new TestFarm(servers, kind: $"windows-{servers.NewKind()}");
            farm.StartWorker(slots: 1, realRun: true, extra: ["--image", disk, "--profiles", profiles, "--memory", "512M"]);
            // the synthetic guest runs its own sample.exe; the submitted file names the sample for the report
            var (status, body) = await farm.SubmitAsync("MZ"u8.ToArray(), "sample.exe", new Dictionary<string, string> { ["timeout"] = "4m" });
            status.ShouldBe(System.Net.HttpStatusCode.Created, body.ToString());
            var id = body.GetProperty("id").GetInt64();

            var d = (await farm.WaitEndedAsync([id], TimeSpan.FromMinutes(15)))[0];

            d.Task.State.ShouldBe(TaskStates.Done, d.Task.Reason);
            d.Task.Kind.ShouldStartWith("windows-");
            var expected = boot.ExpectedCalls;
            var run = farm.StoredRun(d.Task.RunId!);
            run.Count.ShouldBe(expected.Sum(c => c.Returns ? 2 : 1));
            (run.First, run.Last, run.Distinct, run.Loss).ShouldBe((0L, run.Count - 1, run.Count, 0L), "gap-free, each number once");
            var tracePath = Path.Combine(dir, "trace.jsonl");
            await File.WriteAllTextAsync(tracePath, await farm.Http.GetStringAsync($"api/tasks/{id}/trace"));
            var enters = ReadAll(tracePath).Where(r => r.LogType == LogType.Enter).ToList();
            enters.Select(r => r.Name).ShouldBe(expected.Select(c => c.Name));
            enters.ShouldAllBe(r => r.Pid == SyntheticWindowsBootDisk.SamplePid && r.ProcName == "sample.exe");
            // the report the run wrote is of the same records, with sample.exe as the sample
            using (var report = System.Text.Json.JsonDocument.Parse(await farm.Http.GetStringAsync($"api/tasks/{id}/report?format=json")))
            {
                report.RootElement.GetProperty("input").GetProperty("records").GetInt64().ShouldBe(run.Count);
                report.RootElement.GetProperty("processes").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ShouldContain("sample.exe");
            }
            var runJson = await farm.Http.GetStringAsync($"api/tasks/{id}/artifacts/{d.Artifacts.Single(a => a.Name == "run.json").Sha256}");
            using (var doc = System.Text.Json.JsonDocument.Parse(runJson))
                doc.RootElement.GetProperty("os").GetString().ShouldBe("windows");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static List<SyscallRecord> ReadAll(string file)
    {
        var list = new List<SyscallRecord>();
        using var reader = JsonLinesReader.Open(file);
        var r = new SyscallRecord();
        while (reader.TryRead(r)) list.Add(r.Clone());
        return list;
    }
}
