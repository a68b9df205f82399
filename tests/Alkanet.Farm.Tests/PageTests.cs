using Alkanet.Farm.Tests.Servers;
using Microsoft.Playwright;

namespace Alkanet.Farm.Tests;

/// <summary>The farm page in Debian's chromium through Playwright: submit a sample, watch its task run, open its report.</summary>
[Collection(FarmCollection.Name)]
public sealed class PageTests(FarmServers servers)
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task The_page_submits_a_sample_shows_its_task_running_and_opens_its_report()
    {
        if (!File.Exists(Chromium))
        {
            if (Environment.GetEnvironmentVariable("CI") == "true") Assert.Fail($"{Chromium} missing: scripts/setup.d/50-logging.sh installs it");
            Assert.Skip($"{Chromium} not installed (run scripts/setup.d/50-logging.sh)");
        }
        using var farm = new TestFarm(servers);
        var sample = Path.Combine(Path.GetTempPath(), $"page-sample-{Guid.NewGuid():N}.txt");
        File.WriteAllText(sample, "records 4000\nspread-ms 8000\ndrop a file the page links by its hash\n");
        var dropped = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("a file the page links by its hash"u8));
        try
        {
            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = Chromium, Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run"],
            });
            var page = await browser.NewPageAsync();
            await page.GotoAsync($"http://127.0.0.1:{farm.HttpPort}/farm");
            await Assertions.Expect(page.Locator("#kind option")).ToHaveTextAsync(farm.Kind);

            // without the token the service refuses, and says why
            await page.SetInputFilesAsync("#sample", sample);
            await page.ClickAsync("#submit-button");
            await Assertions.Expect(page.Locator("#message")).ToContainTextAsync("refused (401)");

            await page.FillAsync("#token", farm.Token);
            await page.FillAsync("#tags", "page-test");
            await page.ClickAsync("#submit-button");
            await Assertions.Expect(page.Locator("#message")).ToContainTextAsync("task 1 queued");
            var row = page.Locator("#tasks tbody tr[data-id='1']");
            await Assertions.Expect(row.Locator("td.state")).ToHaveTextAsync("queued");

            // a worker takes it: the list shows it running on that host, with records arriving
            var worker = farm.StartWorker(slots: 1);
            var name = TestFarm.WorkerName(worker);
            await Assertions.Expect(row.Locator("td.state")).ToHaveTextAsync("running", new() { Timeout = 120_000 });
            await Assertions.Expect(row.Locator("td:nth-child(5)")).ToHaveTextAsync(name);
            await Assertions.Expect(page.Locator("#workers tbody")).ToContainTextAsync(name);

            await Assertions.Expect(row.Locator("td.state")).ToHaveTextAsync("done", new() { Timeout = 180_000 });
            await Assertions.Expect(row.Locator("td.records")).ToHaveTextAsync("4000");
            await Assertions.Expect(page.Locator("#attempts tbody tr")).ToHaveCountAsync(1);
            // the report, in its sandboxed frame and by its links
            var frame = page.FrameLocator("#report");
            await Assertions.Expect(frame.Locator("#title")).ToHaveTextAsync("Test run 1-1", new() { Timeout = 30_000 });
            await Assertions.Expect(page.Locator("#detail-links a", new() { HasText = "report (md)" })).ToHaveAttributeAsync("href",
                "/api/tasks/1/report?format=md");
            // every format ReportFormats writes, and the run's files by SHA-256 (the dropped one among them)
            await Assertions.Expect(page.Locator("#detail-links a", new() { HasText = "report (vt)" })).ToHaveCountAsync(1);
            await Assertions.Expect(page.Locator("#artifacts a", new() { HasText = $"files/{dropped}" })).ToHaveAttributeAsync("href",
                $"/api/tasks/1/artifacts/{dropped}");
        }
        finally
        {
            File.Delete(sample);
        }
    }
}
