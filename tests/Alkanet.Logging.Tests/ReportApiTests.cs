using System.Net;
using System.Text.Json;
using Alkanet.Core.Json;
using Alkanet.Logging.Client;
using Alkanet.Logging.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Alkanet.Logging.Tests;

/// <summary>The run's report through the real <c>alkanet logger</c> (child process, real SQLite, loopback):
/// the CLI plugs the report tool into the page, so a streamed injection shows up as a finding.</summary>
public class ReportApiTests : IDisposable
{
    private const string Run = "injrun";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "alkanet-logger-report-" + Guid.NewGuid().ToString("n"));

    /// <summary>The Analysis tests' fixtures, found from the repository root.</summary>
    internal static string Fixture(string name)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Alkanet.slnx"))) dir = dir.Parent;
        return Path.Combine(dir!.FullName, "tests", "Alkanet.Analysis.Tests", "Fixtures", name);
    }

    [Fact]
    public async Task The_report_of_a_streamed_run_has_the_injection_finding_and_follows_the_stored_records()
    {
        var ct = TestContext.Current.CancellationToken;
        var port = StreamingTests.FreePort();
        var httpPort = StreamingTests.FreePort();
        using var logger = new LoggerProcess(port, _dir, LoggerFixture.Token, httpPort);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}") };
        var records = JsonLinesReader.ReadFile(Fixture("windows-injection.jsonl")).Select(r => r.Clone()).ToList();
        records.Count.ShouldBe(61);

        var client = LoggerClient.Connect(new LoggerClientOptions { Endpoint = $"127.0.0.1:{port}", Token = LoggerFixture.Token, RunId = Run });
        try
        {
            // the live run so far: the sample exists but has done nothing suspicious yet
            foreach (var r in records.Take(12)) client.Write(r);
            client.Flush();
            var early = await ReportJson(http, "?sample=sample.exe", ct);
            early.GetProperty("input").GetProperty("records").GetInt64().ShouldBe(12);
            Rules(early).ShouldNotContain("win-process-hollowing");

            foreach (var r in records.Skip(12)) client.Write(r);
            client.Flush();
        }
        finally
        {
            client.Dispose();
        }

        // all 61 records are analysed now (the cached early report is not served again)
        var report = await ReportJson(http, "?sample=sample.exe", ct);
        report.GetProperty("input").GetProperty("records").GetInt64().ShouldBe(61);
        report.GetProperty("sample").GetProperty("chosen_by").GetString().ShouldBe("?sample= (the page)");
        Rules(report).ShouldContain("win-process-hollowing");
        Rules(report).ShouldContain("win-run-key");
        var hollowing = report.GetProperty("findings").EnumerateArray().Single(f => f.GetProperty("rule").GetString() == "win-process-hollowing");
        hollowing.GetProperty("title").GetString().ShouldNotBeNullOrEmpty();
        hollowing.GetProperty("attack")[0].GetProperty("id").GetString().ShouldBe("T1055.012");

        // the same report as a page, read-only: no token needed
        var html = await http.GetAsync($"/runs/{Run}/report.html?sample=sample.exe", ct);
        html.StatusCode.ShouldBe(HttpStatusCode.OK);
        html.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        html.Headers.GetValues("Content-Security-Policy").Single().ShouldStartWith("sandbox");
        (await html.Content.ReadAsStringAsync(ct)).ShouldContain("T1055.012");

        // no sample: the candidates to pick from (API and page)
        var none = await http.GetAsync($"/api/runs/{Run}/report", ct);
        none.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        using (var doc = JsonDocument.Parse(await none.Content.ReadAsStringAsync(ct)))
        {
            doc.RootElement.GetProperty("error").GetString()!.ShouldContain("no sample chosen");
            var candidates = doc.RootElement.GetProperty("candidates").EnumerateArray().ToList();
            candidates.ShouldContain(c => c.GetProperty("name").GetString() == "sample.exe" && c.GetProperty("spec").GetString() == "#3");
        }
        var picker = await http.GetAsync($"/runs/{Run}/report.html", ct);
        picker.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await picker.Content.ReadAsStringAsync(ct)).ShouldContain("href=\"?sample=%233\"");
        var wrong = await http.GetAsync($"/api/runs/{Run}/report?sample=nosuch.exe", ct);
        wrong.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        using (var doc = JsonDocument.Parse(await wrong.Content.ReadAsStringAsync(ct)))
            doc.RootElement.GetProperty("error").GetString().ShouldBe("no process matches sample 'nosuch.exe'");
        // a pick by #SEQ, as the candidates' links do
        Rules(await ReportJson(http, "?sample=%233", ct)).ShouldContain("win-process-hollowing");

        // the run file's sidecar names the sample, as for `alkanet report`
        File.WriteAllText(Path.Combine(_dir, "runs", Run + ".jsonl.meta.json"), """{"sample": "0x200"}""");
        var bySidecar = await ReportJson(http, "", ct);
        bySidecar.GetProperty("sample").GetProperty("chosen_by").GetString().ShouldBe(Run + ".jsonl.meta.json");
        Rules(bySidecar).ShouldContain("win-process-hollowing");
        File.WriteAllText(Path.Combine(_dir, "runs", Run + ".jsonl.meta.json"), "{not json");
        var badSidecar = await http.GetAsync($"/api/runs/{Run}/report", ct);
        badSidecar.StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity);
        using (var doc = JsonDocument.Parse(await badSidecar.Content.ReadAsStringAsync(ct)))
            doc.RootElement.GetProperty("error").GetString()!.ShouldContain(Run + ".jsonl.meta.json: not JSON");

        (await http.GetAsync("/api/runs/nosuchrun/report", ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Guest_chosen_names_are_escaped_in_the_candidate_page_and_a_host_without_the_tool_says_so()
    {
        var ct = TestContext.Current.CancellationToken;
        foreach (var withTool in new[] { true, false })
        {
            var httpPort = StreamingTests.FreePort();
            using var host = LoggerHost.Build(new LoggerServerOptions
            {
                Listen = new IPEndPoint(IPAddress.Loopback, 0), Http = new IPEndPoint(IPAddress.Loopback, httpPort),
                DataDirectory = Path.Combine(_dir, withTool ? "a" : "b"), Token = LoggerFixture.Token,
                ReportProvider = withTool ? new Alkanet.Cli.Commands.LoggerReportProvider() : null, // as `alkanet logger` does, or none
            });
            await host.StartAsync(ct);
            var service = host.Services.GetRequiredService<LoggerService>();
            using (var client = LoggerClient.Connect(new LoggerClientOptions { Endpoint = $"127.0.0.1:{service.TracerEndpoint.Port}", Token = LoggerFixture.Token, RunId = "hostile" }))
            {
                var r = new Alkanet.Core.Records.SyscallRecord();
                for (long no = 0; no < 4; no++)
                {
                    TestRecords.Fill(r, no);
                    r.ProcName = "<img src=x onerror=alert(1)>";
                    client.Write(r);
                }
            }
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}") };
            var page = await http.GetAsync("/runs/hostile/report.html", ct);
            var text = await page.Content.ReadAsStringAsync(ct);
            if (withTool)
            {
                page.StatusCode.ShouldBe(HttpStatusCode.Conflict);
                text.ShouldContain("&lt;img src=x onerror=alert(1)&gt;");
                text.ShouldNotContain("<img");
            }
            else
            {
                page.StatusCode.ShouldBe(HttpStatusCode.NotImplemented);
                text.ShouldContain("without the report tool");
                (await http.GetAsync("/api/runs/hostile/report", ct)).StatusCode.ShouldBe(HttpStatusCode.NotImplemented);
            }
            await host.StopAsync(ct);
        }
    }

    private static async Task<JsonElement> ReportJson(HttpClient http, string query, CancellationToken ct)
    {
        var res = await http.GetAsync($"/api/runs/{Run}/report{query}", ct);
        var text = await res.Content.ReadAsStringAsync(ct);
        res.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        using var doc = JsonDocument.Parse(text);
        doc.RootElement.GetProperty("schema").GetString().ShouldBe("alkanet-report/1");
        return doc.RootElement.Clone();
    }

    private static List<string> Rules(JsonElement report) =>
        [.. report.GetProperty("findings").EnumerateArray().Select(f => f.GetProperty("rule").GetString()!)];

    public void Dispose()
    {
        GC.SuppressFinalize(this);
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
