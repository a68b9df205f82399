using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Alkanet.Logging.Storage;
using Alkanet.Logging.Wire;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Alkanet.Logging.Server;

/// <summary>
/// The page and its JSON API (docs/LOGGING.md, "The page and API"). Reads are open to whoever reaches the
/// (loopback by default) port under an allowed host name (<see cref="PageGuard"/>); control and status requests need
/// the token in <c>X-Alkanet-Token</c> or <c>Authorization: Bearer</c>.
/// </summary>
public static class WebApi
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    public static void Map(IEndpointRouteBuilder app, LoggerService logger)
    {
        app.MapGet("/", () => Asset("index.html", "text/html; charset=utf-8"));
        app.MapGet("/app.js", () => Asset("app.js", "text/javascript; charset=utf-8"));
        app.MapGet("/style.css", () => Asset("style.css", "text/css; charset=utf-8"));

        app.MapGet("/api/runs", () => Results.Json(logger.Store.ListRuns().Select(r => RunView(logger, r)), Json));
        app.MapGet("/api/runs/{id}", (string id) =>
            logger.Store.FindRun(id) is { } r ? Results.Json(RunView(logger, r), Json) : NoRun(id));
        app.MapGet("/api/runs/{id}/records", (string id, HttpRequest req) =>
        {
            if (logger.Store.FindRun(id) is null) return NoRun(id);
            var q = req.Query;
            RecordQuery query;
            try
            {
                query = new RecordQuery
                {
                    AfterNo = q.TryGetValue("after", out var a) && a.Count > 0 && a[0] != ""
                        ? long.Parse(a[0]!, System.Globalization.CultureInfo.InvariantCulture) : null,
                    BeforeNo = q.TryGetValue("before", out var b) && b.Count > 0 && b[0] != ""
                        ? long.Parse(b[0]!, System.Globalization.CultureInfo.InvariantCulture) : null,
                    Pid = q.TryGetValue("pid", out var p) && p.Count > 0 && p[0] != "" ? Convert.ToUInt64(p[0], 16) : null,
                    ProcName = q.TryGetValue("proc", out var pn) ? pn.ToString() : null,
                    CallName = q.TryGetValue("call", out var cn) ? cn.ToString() : null,
                    Newest = q.TryGetValue("tail", out var t) && t == "1",
                    Limit = q.TryGetValue("limit", out var l) && int.TryParse(l, out var li) ? li : 200,
                };
            }
            catch (FormatException ex)
            {
                return Results.BadRequest(new { error = $"bad query: {ex.Message} (after/before are decimal, pid is hex)" });
            }
            catch (OverflowException ex)
            {
                return Results.BadRequest(new { error = $"bad query: {ex.Message}" });
            }
            var records = logger.Store.ReadJson(id, query);
            var sb = new StringBuilder(records.Sum(r => r.Length + 1) + 2).Append('[');
            for (var i = 0; i < records.Count; i++)
            {
                if (i > 0) sb.Append(',');
                sb.Append(records[i]);
            }
            return Results.Text(sb.Append(']').ToString(), "application/json");
        });
        app.MapGet("/api/runs/{id}/stats", (string id) =>
            logger.Store.FindRun(id) is null ? NoRun(id) : Results.Json(logger.Store.Statistics(id), Json));
        app.MapGet("/api/runs/{id}/processes", (string id) =>
            logger.Store.FindRun(id) is null ? NoRun(id) : Results.Json(logger.Store.Processes(id).Select(p => new
            {
                pid = p.Pid.ToString("x"), ppid = p.ParentPid?.ToString("x"), name = p.Name,
                firstNo = p.FirstNo, lastNo = p.LastNo, records = p.Records,
            }), Json));
        app.MapGet("/api/runs/{id}/export", (string id, HttpContext ctx) =>
        {
            if (logger.Store.FindRun(id) is null) return NoRun(id);
            return Results.Stream(async body =>
            {
                await using var gz = new GZipStream(body, CompressionLevel.Fastest, leaveOpen: true);
                await using var source = logger.Store.OpenRunJsonLines(id);
                await source.CopyToAsync(gz);
            }, "application/gzip", $"{id}.jsonl.gz");
        });
        MapReport(app, logger);
        app.MapGet("/api/events", () => Results.Json(logger.Sessions.Events, Json));
        app.MapGet("/api/auth", (HttpContext ctx) => PageGuard.Authorize(ctx, logger) ?? Results.Ok(new { ok = true }));
        // wrong tokens have a bounded log of their own (guessing must not flush the events above out); token only
        app.MapGet("/api/auth-failures", (HttpContext ctx) => PageGuard.Authorize(ctx, logger) ?? Results.Json(new
        {
            total = logger.Guard.TotalFailures, throttled = logger.Guard.TotalThrottled, latest = logger.Guard.Failures,
        }, Json));

        app.MapPost("/api/runs/{id}/control", async (string id, HttpContext ctx) =>
        {
            if (PageGuard.Authorize(ctx, logger) is { } denied) return denied;
            ControlRequest? req;
            try
            {
                req = await JsonSerializer.DeserializeAsync<ControlRequest>(ctx.Request.Body, Json, ctx.RequestAborted);
            }
            catch (JsonException ex)
            {
                return Results.BadRequest(new { error = $"bad control request: {ex.Message}" });
            }
            if (req is null || !Enum.TryParse<ControlCommand>(req.Command, ignoreCase: true, out var command) || !Enum.IsDefined(command))
                return Results.BadRequest(new { error = "command must be start, stop, pause, resume, setfilter or statusrequest" });
            var session = logger.Sessions.Find(id);
            if (session is null || !session.IsConnected) return Results.Conflict(new { error = $"no tracer is connected for run '{id}'" });
            if (command == ControlCommand.StatusRequest)
            {
                var status = await session.RequestStatusAsync(TimeSpan.FromSeconds(5), ctx.RequestAborted);
                return status is null ? Results.Problem("the tracer did not answer in time", statusCode: 504) : Results.Json(status, Json);
            }
            RecordFilter? filter = null;
            if (command == ControlCommand.SetFilter)
            {
                try
                {
                    filter = new RecordFilter
                    {
                        ProcessNames = Split(req.Processes),
                        Pids = Split(req.Pids)
                            .Select(p => Convert.ToUInt64(p.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? p[2..] : p, 16)).ToArray(),
                        CallNames = Split(req.Calls),
                    };
                }
                catch (Exception ex) when (ex is FormatException or OverflowException)
                {
                    return Results.BadRequest(new { error = $"pids are hex numbers: {ex.Message}" });
                }
            }
            var sent = await session.SendControlAsync(new ControlMessage(command, 0, filter), ctx.RequestAborted);
            return sent
                ? Results.Ok(new { sent = command.ToString(), filter = filter?.ToString() })
                : Results.Conflict(new { error = "the tracer connection closed" });
        });
        app.MapGet("/api/runs/{id}/status", async (string id, HttpContext ctx) =>
        {
            // a status request is traffic to the tracer: only for who holds the token, like the other controls
            if (PageGuard.Authorize(ctx, logger) is { } denied) return denied;
            var session = logger.Sessions.Find(id);
            if (session is null || !session.IsConnected) return Results.Conflict(new { error = $"no tracer is connected for run '{id}'" });
            var status = await session.RequestStatusAsync(TimeSpan.FromSeconds(5), ctx.RequestAborted);
            return status is null ? Results.Problem("the tracer did not answer in time", statusCode: 504) : Results.Json(status, Json);
        });
    }

    /// <summary>The run's report (docs/LOGGING.md, "The report"): read-only, like the rest of the page.</summary>
    private static void MapReport(IEndpointRouteBuilder app, LoggerService logger)
    {
        var cache = logger.Options.ReportProvider is { } provider ? new RunReportCache(provider) : null;
        app.MapGet("/api/runs/{id}/report", async (string id, string? sample) =>
        {
            if (logger.Store.FindRun(id) is not { } run) return NoRun(id);
            if (cache is null) return NoReportTool();
            var report = await cache.GetAsync(logger.Store, run, Blank(sample));
            return report.Status switch
            {
                RunReportStatus.Ok => Results.Text(report.Json, "application/json"),
                RunReportStatus.NeedsSample => Results.Json(new { error = report.Error, candidates = report.Candidates }, Json, statusCode: 409),
                _ => Results.Json(new { error = report.Error }, Json, statusCode: 422),
            };
        });
        app.MapGet("/runs/{id}/report.html", async (string id, string? sample, HttpContext ctx) =>
        {
            // The report quotes guest-controlled strings (process names, paths): it is escaped, and besides it
            // runs sandboxed (no script, opaque origin), so nothing in it can reach the page's token.
            ctx.Items[PageGuard.FramedBySelfMarker] = true; // the page's own report frame
            ctx.Response.Headers.ContentSecurityPolicy =
                "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:";
            if (logger.Store.FindRun(id) is not { } run) return HtmlMessage(404, $"no run '{id}'", []);
            if (cache is null) return HtmlMessage(501, "this logger was started without the report tool", []);
            var report = await cache.GetAsync(logger.Store, run, Blank(sample));
            return report.Status switch
            {
                RunReportStatus.Ok => Results.Content(report.Html, "text/html; charset=utf-8"),
                RunReportStatus.NeedsSample => HtmlMessage(409, report.Error ?? "choose the sample", report.Candidates),
                _ => HtmlMessage(422, report.Error ?? "the run could not be analysed", []),
            };
        });
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    private static IResult NoReportTool() =>
        Results.Json(new { error = "this logger was started without the report tool" }, Json, statusCode: 501);

    /// <summary>A small page for the report frame when there is no report: the reason, and the candidates as links.</summary>
    private static IResult HtmlMessage(int status, string message, IReadOnlyList<SampleCandidate> candidates)
    {
        var sb = new StringBuilder("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Alkanet report</title></head>"
            + "<body style=\"font-family:system-ui,sans-serif\">");
        sb.Append("<p id=\"report-message\">").Append(System.Net.WebUtility.HtmlEncode(message.Split('\n')[0])).Append("</p>");
        if (candidates.Count > 0)
        {
            sb.Append("<p>Choose the sample:</p><ul>");
            foreach (var c in candidates)
                sb.Append("<li><a href=\"?sample=").Append(Uri.EscapeDataString(c.Spec)).Append("\">")
                  .Append(System.Net.WebUtility.HtmlEncode(
                      $"{c.Name} (pid {c.Pid}, {c.Calls} calls{(c.CreatedInLog ? ", created in the log" : "")})"))
                  .Append("</a></li>");
            sb.Append("</ul>");
        }
        return Results.Content(sb.Append("</body></html>").ToString(), "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    private static string[] Split(string? list) =>
        string.IsNullOrWhiteSpace(list) ? [] : list.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public sealed record ControlRequest(string Command, string? Processes = null, string? Pids = null, string? Calls = null);

    private static object RunView(LoggerService logger, RunInfo r)
    {
        var s = logger.Sessions.Find(r.RunId);
        return new
        {
            r.RunId, r.Created, r.FirstNo, r.LastNo, r.RecordCount, r.LossRecords, r.Client, State = r.State.ToString(), r.Ended,
            r.FirstTimestampNs, r.LastTimestampNs,
            Connected = s?.IsConnected ?? false, Remote = s?.Remote, Status = s?.LastStatus,
        };
    }

    private static IResult NoRun(string id) => Results.NotFound(new { error = $"no run '{id}'" });

    private static IResult Asset(string name, string contentType)
    {
        using var s = typeof(WebApi).Assembly.GetManifestResourceStream("web/" + name)
            ?? throw new InvalidOperationException($"embedded page asset {name} missing");
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return Results.Bytes(ms.ToArray(), contentType);
    }
}
