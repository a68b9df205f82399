using System.Net;
using Alkanet.Core.Records;
using Alkanet.Logging.Client;
using Alkanet.Logging.Server;
using Alkanet.Logging.Wire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Playwright;

namespace Alkanet.Logging.Tests;

/// <summary>The page in a real browser: Debian's chromium driven by Playwright, clicking through a live run.</summary>
public class PageTests
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task The_page_shows_a_live_run_and_controls_its_tracer_only_with_the_token()
    {
        if (!File.Exists(Chromium))
        {
            if (Environment.GetEnvironmentVariable("CI") == "true") Assert.Fail($"{Chromium} missing: scripts/setup.d/50-logging.sh installs it");
            Assert.Skip($"{Chromium} not installed (run scripts/setup.d/50-logging.sh)");
        }
        var dir = Path.Combine(Path.GetTempPath(), "alkanet-logger-page-" + Guid.NewGuid().ToString("n"));
        var httpPort = StreamingTests.FreePort();
        using var host = LoggerHost.Build(new LoggerServerOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0), Http = new IPEndPoint(IPAddress.Loopback, httpPort),
            DataDirectory = dir, Token = LoggerFixture.Token,
            ReportProvider = new Alkanet.Cli.Commands.LoggerReportProvider(), // as `alkanet logger` wires it
        });
        await host.StartAsync(TestContext.Current.CancellationToken);
        var service = host.Services.GetRequiredService<LoggerService>();
        using var client = LoggerClient.Connect(new LoggerClientOptions
        {
            Endpoint = $"127.0.0.1:{service.TracerEndpoint.Port}", Token = LoggerFixture.Token, RunId = "webrun",
        });
        var r = new SyscallRecord();
        for (long no = 0; no < 5000; no++)
        {
            TestRecords.Fill(r, no);
            client.Write(r);
        }
        client.Flush();

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium, Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        await page.GotoAsync($"http://127.0.0.1:{httpPort}/");

        // the runs list, then the run
        var row = page.Locator("#runs tbody tr[data-run='webrun']");
        await Assertions.Expect(row).ToContainTextAsync("5000");
        await row.ClickAsync();
        await Assertions.Expect(page.Locator("#run-title")).ToHaveTextAsync("Run webrun");

        // the live tail shows the newest record first, and new records as they arrive
        await Assertions.Expect(page.Locator("#tail tbody tr").First).ToHaveAttributeAsync("data-no", "4999");
        for (long no = 5000; no < 5100; no++)
        {
            TestRecords.Fill(r, no);
            client.Write(r);
        }
        client.Flush();
        await Assertions.Expect(page.Locator("#tail tbody tr").First).ToHaveAttributeAsync("data-no", "5099", new() { Timeout = 10_000 });

        // filtering the tail by call
        await page.FillAsync("#tf-call", "NtClose");
        await page.Locator("#tf-call").DispatchEventAsync("change");
        await Assertions.Expect(page.Locator("#tail tbody tr").First).ToContainTextAsync("NtClose");
        var calls = await page.Locator("#tail tbody tr td:nth-child(7)").AllTextContentsAsync();
        calls.ShouldNotBeEmpty();
        calls.ShouldAllBe(c => c == "NtClose");

        // statistics and the process tree (cmd.exe is explorer.exe's child, sample.exe is cmd.exe's)
        await Assertions.Expect(page.Locator("#stats")).ToContainTextAsync("NtCreateFile");
        await Assertions.Expect(page.Locator("#tree li[data-pid='100'] li[data-pid='104'] li[data-pid='108']")).ToContainTextAsync("sample.exe");

        // read-only without the token
        await Assertions.Expect(page.Locator("#mode")).ToHaveTextAsync("read-only");
        await Assertions.Expect(page.Locator("#btn-pause")).ToBeDisabledAsync();
        await page.FillAsync("#token", "not-the-token");
        await page.ClickAsync("#btn-token");
        await Assertions.Expect(page.Locator("#mode")).ToHaveTextAsync("wrong token: read-only");
        await Assertions.Expect(page.Locator("#btn-pause")).ToBeDisabledAsync();

        // with the token: pause, status, filter reach the tracer
        await page.FillAsync("#token", LoggerFixture.Token);
        await page.ClickAsync("#btn-token");
        await Assertions.Expect(page.Locator("#mode")).ToHaveTextAsync("control enabled");
        await page.ClickAsync("#btn-pause");
        await Assertions.Expect(page.Locator("#control-result")).ToHaveTextAsync("sent Pause");
        StreamingTests.WaitFor(() => client.Control.State == TracerState.Paused);
        await page.ClickAsync("#btn-status");
        await Assertions.Expect(page.Locator("#control-result")).ToContainTextAsync("tracer Paused");
        await Assertions.Expect(page.Locator("#control-result")).ToContainTextAsync("5100 written");
        await page.FillAsync("#cf-procs", "sample.exe");
        await page.FillAsync("#cf-calls", "NtWriteFile");
        await page.ClickAsync("#btn-filter");
        await Assertions.Expect(page.Locator("#control-result")).ToContainTextAsync("sent SetFilter");
        StreamingTests.WaitFor(() => client.Control.Filter.CallNames.SequenceEqual(["NtWriteFile"]));
        client.Control.Filter.ProcessNames.ShouldBe(["sample.exe"]);
        await page.ClickAsync("#btn-resume");
        StreamingTests.WaitFor(() => client.Control.State == TracerState.Running);

        // the report view of a run holding an injection: pick the sample among the candidates, see the finding
        using var injector = LoggerClient.Connect(new LoggerClientOptions
        {
            Endpoint = $"127.0.0.1:{service.TracerEndpoint.Port}", Token = LoggerFixture.Token, RunId = "injrun",
        });
        foreach (var rec in Alkanet.Core.Json.JsonLinesReader.ReadFile(ReportApiTests.Fixture("windows-injection.jsonl"))) injector.Write(rec);
        injector.Flush();
        var injRow = page.Locator("#runs tbody tr[data-run='injrun']");
        await Assertions.Expect(injRow).ToContainTextAsync("61");
        await injRow.ClickAsync();
        await Assertions.Expect(page.Locator("#run-title")).ToHaveTextAsync("Run injrun");
        await page.ClickAsync("#tab-report");
        await Assertions.Expect(page.Locator("#view-trace")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#report-status")).ToContainTextAsync("no sample chosen");
        await page.ClickAsync("#report-candidates button[data-spec='#3']");
        await Assertions.Expect(page.Locator("#report-status")).ToContainTextAsync("sample #3");
        await Assertions.Expect(page.Locator("#report-findings li[data-rule='win-process-hollowing']")).ToContainTextAsync("Process hollowing");
        await Assertions.Expect(page.FrameLocator("#report-frame").Locator("body")).ToContainTextAsync("Process hollowing");
        await Assertions.Expect(page.FrameLocator("#report-frame").Locator("body")).ToContainTextAsync("T1055.012");
        await Assertions.Expect(page.Locator("#report-stale")).ToBeEmptyAsync();
        // the run is live: records stored after the report are announced, and Show report takes them in
        for (long no = 62; no < 72; no++)
        {
            TestRecords.Fill(r, no);
            injector.Write(r);
        }
        injector.Flush();
        await Assertions.Expect(page.Locator("#report-stale")).ToHaveTextAsync("10 records stored since this report: Show report to update it", new() { Timeout = 10_000 });
        await page.ClickAsync("#btn-report");
        await Assertions.Expect(page.Locator("#report-status")).ToContainTextAsync("71 records analysed");
        await Assertions.Expect(page.Locator("#report-stale")).ToBeEmptyAsync();

        if (Environment.GetEnvironmentVariable("ALKANET_PAGE_REPORT_SCREENSHOT") is { Length: > 0 } reportShot)
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = reportShot, FullPage = true });
        // back to the trace
        await page.ClickAsync("#tab-trace");
        await Assertions.Expect(page.Locator("#view-trace")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#view-report")).ToBeHiddenAsync();

        if (Environment.GetEnvironmentVariable("ALKANET_PAGE_SCREENSHOT") is { Length: > 0 } shot)
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot });
        await host.StopAsync(TestContext.Current.CancellationToken);
        Directory.Delete(dir, recursive: true);
    }
}
