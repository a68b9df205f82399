using System.Net;
using Alkanet.Logging.Client;
using Alkanet.Logging.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Alkanet.Logging.Tests;

/// <summary>The page against other sites and guessers: DNS rebinding (a foreign Host header), framing, tracer traffic
/// without the token, token guessing, and tokens too short to guard anything.</summary>
public sealed class PageSecurityTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "alkanet-page-sec-" + Guid.NewGuid().ToString("n"));
    private readonly int _httpPort = StreamingTests.FreePort();
    private IHost? _host;
    private LoggerService? _service;
    private LoggerClient? _client;
    private readonly HttpClient _http = new();

    public async ValueTask InitializeAsync()
    {
        _host = LoggerHost.Build(new LoggerServerOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0), Http = new IPEndPoint(IPAddress.Loopback, _httpPort),
            DataDirectory = _dir, Token = LoggerFixture.Token,
        });
        await _host.StartAsync();
        _service = _host.Services.GetRequiredService<LoggerService>();
        _client = LoggerClient.Connect(new LoggerClientOptions
        {
            Endpoint = $"127.0.0.1:{_service.TracerEndpoint.Port}", Token = LoggerFixture.Token, RunId = "secret",
        });
        _client.Write(TestRecords.Make(0));
        _client.Flush();
    }

    private Task<HttpResponseMessage> Get(string path, string? host = null, string? token = null)
    {
        var req = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{_httpPort}{path}");
        if (host is not null) req.Headers.Host = host;
        if (token is not null) req.Headers.Add("X-Alkanet-Token", token);
        return _http.SendAsync(req, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Another_sites_name_for_this_address_reads_nothing()
    {
        (await Get("/api/runs/secret/export", host: "attacker.example")).StatusCode.ShouldBe(HttpStatusCode.MisdirectedRequest);
        (await Get("/api/runs", host: "attacker.example:7601")).StatusCode.ShouldBe(HttpStatusCode.MisdirectedRequest);
        (await Get("/", host: "127.0.0.1.attacker.example")).StatusCode.ShouldBe(HttpStatusCode.MisdirectedRequest);
        foreach (var name in new[] { $"127.0.0.1:{_httpPort}", $"localhost:{_httpPort}", $"[::1]:{_httpPort}", "LOCALHOST" })
            (await Get("/api/runs/secret/export", host: name)).StatusCode.ShouldBe(HttpStatusCode.OK, name);
    }

    [Fact]
    public async Task No_other_site_may_frame_the_page_and_the_report_frame_is_the_pages_own()
    {
        foreach (var path in new[] { "/", "/api/runs" })
        {
            var res = await Get(path);
            res.Headers.GetValues("X-Frame-Options").ShouldBe(["DENY"]);
            res.Headers.GetValues("Content-Security-Policy").Single().ShouldContain("frame-ancestors 'none'");
        }
        var report = await Get("/runs/secret/report.html");
        report.Headers.GetValues("X-Frame-Options").ShouldBe(["SAMEORIGIN"]);
        var csp = report.Headers.GetValues("Content-Security-Policy").Single();
        csp.ShouldContain("frame-ancestors 'self'");
        csp.ShouldContain("sandbox");
    }

    [Fact]
    public async Task A_status_request_reaches_the_tracer_only_with_the_token()
    {
        StreamingTests.WaitFor(() => _service!.Sessions.Find("secret") is { IsConnected: true });
        (await Get("/api/runs/secret/status")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var ok = await Get("/api/runs/secret/status", token: LoggerFixture.Token);
        ok.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await ok.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).ShouldContain("\"recordsWritten\":1");
    }

    [Fact]
    public async Task Token_guessing_is_throttled_per_source_and_logged_apart_from_the_events()
    {
        var eventsBefore = _service!.Sessions.Events.Count;
        int checkedWrong = 0, throttled = 0;
        for (var i = 0; i < 1600; i++)
        {
            var res = await Get("/api/auth", token: $"guess-{i:D6}-xxxx");
            if (res.StatusCode == HttpStatusCode.Unauthorized) checkedWrong++;
            else if (res.StatusCode == HttpStatusCode.TooManyRequests) throttled++;
            else Assert.Fail($"guess {i} answered {res.StatusCode}");
        }
        checkedWrong.ShouldBeLessThan(30, "after five wrong tokens a source waits 1 s, then 2, 4 ... before the next is checked");
        throttled.ShouldBe(1600 - checkedWrong);
        _service.Sessions.Events.Count.ShouldBe(eventsBefore, "guessing does not push lines into the run events");
        _service.Guard.Failures.Count.ShouldBe(checkedWrong);
        _service.Guard.Failures.Count.ShouldBeLessThanOrEqualTo(TokenGuard.MaxLoggedFailures);
        // even the right token waits out the lockout of its source; the failure log is for token holders only
        (await Get("/api/auth-failures", token: LoggerFixture.Token)).StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        (await Get("/api/auth-failures")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        // and the tracer port applies the same lockout to the same source
        using var refused = LoggerClient.Connect(new LoggerClientOptions
        {
            Endpoint = $"127.0.0.1:{_service.TracerEndpoint.Port}", Token = LoggerFixture.Token, RunId = "while-locked",
            ConnectTimeout = TimeSpan.FromSeconds(2), InitialBackoff = TimeSpan.FromMilliseconds(200), MaxBackoff = TimeSpan.FromMilliseconds(200),
        });
        StreamingTests.WaitFor(() => _service.Guard.TotalThrottled > throttled + 1 || refused.Connections > 0, 60);
        refused.Fault.ShouldBeNull("a throttled tracer is closed without a Reject, so it retries once the lockout ends");
    }

    [Fact]
    public void A_token_shorter_than_the_minimum_is_refused_with_the_reason()
    {
        var ex = Should.Throw<ArgumentException>(() => new LoggerService(new LoggerServerOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0), Http = null, DataDirectory = _dir + "-short", Token = "x",
        }));
        ex.Message.ShouldContain($"at least {LoggerServerOptions.MinTokenLength} characters");
        ex.Message.ShouldContain("omit it to have one generated");
        Directory.Exists(_dir + "-short").ShouldBeFalse("nothing is created for a logger that does not start");
    }

    public async ValueTask DisposeAsync()
    {
        _client?.Dispose();
        if (_host is not null)
        {
            await _host.StopAsync();
            _host.Dispose();
        }
        _http.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
