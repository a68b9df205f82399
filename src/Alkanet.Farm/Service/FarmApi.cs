using System.Security.Cryptography;
using System.Text;
using Alkanet.Farm.Queue;
using Alkanet.Farm.Storage;
using Alkanet.Logging.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Alkanet.Farm.Service;

/// <summary>
/// The farm's REST API (described by <c>GET /api/openapi.json</c>) and its page (<c>/farm</c>), next to the logger's
/// page and API. Submitting and cancelling need the token (<c>X-Alkanet-Token</c> or <c>Authorization: Bearer</c>);
/// reading tasks, reports and traces does not, like the logger's page.
/// </summary>
public static class FarmApi
{
    public static void Map(IEndpointRouteBuilder app, FarmService farm, LoggerService logger, ILogger log)
    {
        app.MapGet("/farm", () => Asset("farm.html", "text/html; charset=utf-8"));
        app.MapGet("/api/openapi.json", () => Asset("openapi.json", "application/json"));
        app.MapGet("/api/farm", () => Results.Json(new
        {
            kinds = farm.Options.Kinds, maxSampleBytes = farm.Options.MaxSampleBytes, maxAttempts = farm.Options.MaxAttempts,
            defaultTimeoutSeconds = farm.Options.DefaultTimeoutSeconds, maxTimeoutSeconds = farm.Options.MaxTimeoutSeconds,
        }, FarmJson.Options));

        app.MapPost("/api/tasks", async (HttpContext ctx) =>
        {
            if (Unauthorized(ctx, logger) is { } denied) return denied;
            Submission s;
            try
            {
                s = await SubmissionParser.ParseAsync(ctx.Request, farm.Options, ctx.RequestAborted);
            }
            catch (SubmissionException ex)
            {
                return Results.Json(new { error = ex.Message }, FarmJson.Options, statusCode: ex.Status);
            }
            if (s.Reuse && farm.Tasks.FindReusable(TaskStore.Sha256(s.Sample), s.Options) is { } earlier)
            {
                var reused = farm.Tasks.CreateTask(s.Sample, s.SampleName, s.Options, farm.Options.MaxAttempts, earlier);
                return Results.Json(new { id = reused, state = TaskStates.Done, reusedFrom = earlier }, FarmJson.Options, statusCode: 200);
            }
            var id = farm.Tasks.CreateTask(s.Sample, s.SampleName, s.Options, farm.Options.MaxAttempts);
            try
            {
                await farm.Broker.PublishAsync(new TaskMessage(id, s.Options.Kind, s.Options.Priority), ctx.RequestAborted);
            }
            catch (Exception ex) when (Broker.IsBrokerFailure(ex) || ex is OperationCanceledException)
            {
                // not confirmed by the broker: the task is withdrawn, so nothing waits that no worker will ever see
                farm.Tasks.DeleteUnqueued(id);
                log.LogWarning("submission refused: the broker did not confirm task {Task}: {Error}", id, ex.Message);
                return Results.Json(new { error = $"the queue is unavailable ({ex.Message}); nothing was queued, submit again later" },
                    FarmJson.Options, statusCode: 503);
            }
            log.LogInformation("task {Task} queued: {Sample} ({Bytes} bytes), kind {Kind}, priority {Priority}", id, s.SampleName, s.Sample.Length,
                s.Options.Kind, s.Options.Priority);
            return Results.Json(new { id, state = TaskStates.Queued }, FarmJson.Options, statusCode: 201);
        });

        app.MapGet("/api/tasks", (string? state, string? kind, string? tag, int? limit) =>
            Results.Json(farm.Tasks.List(Blank(state), Blank(kind), Blank(tag), limit ?? 100), FarmJson.Options));

        app.MapGet("/api/tasks/{id:long}", (long id) =>
            farm.Tasks.Detail(id) is { } d ? Results.Json(d, FarmJson.Options) : NoTask(id));

        app.MapPost("/api/tasks/{id:long}/cancel", (long id, HttpContext ctx) =>
        {
            if (Unauthorized(ctx, logger) is { } denied) return denied;
            if (farm.Tasks.Find(id) is not { } t) return NoTask(id);
            return farm.Tasks.Cancel(id)
                ? Results.Json(new { id, state = TaskStates.Cancelled }, FarmJson.Options)
                : Results.Json(new { error = $"task {id} has already ended ({t.State})" }, FarmJson.Options, statusCode: 409);
        });

        app.MapGet("/api/tasks/{id:long}/report", (long id, string? format, HttpContext ctx) =>
        {
            var (ext, type) = (format ?? "json") switch
            {
                "json" => ("json", "application/json"),
                "md" or "markdown" => ("md", "text/markdown; charset=utf-8"),
                "html" => ("html", "text/html; charset=utf-8"),
                var f => ("", f),
            };
            if (ext.Length == 0) return Results.Json(new { error = $"format '{type}' is not json, md or html" }, FarmJson.Options, statusCode: 400);
            if (farm.Tasks.Find(id) is not { } t) return NoTask(id);
            if (t.State != TaskStates.Done)
                return Results.Json(new { error = $"task {id} is {t.State}; a report exists once it is done", reason = t.Reason },
                    FarmJson.Options, statusCode: 409);
            var bytes = farm.Tasks.ResultArtifact(id, "report." + ext);
            if (bytes is null) return Results.Json(new { error = $"task {id}'s run wrote no report.{ext}" }, FarmJson.Options, statusCode: 404);
            // guest-chosen strings are escaped by the report writer; the page is sandboxed all the same
            if (ext == "html") ctx.Response.Headers.ContentSecurityPolicy = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:";
            return Results.Bytes(bytes, type);
        });

        app.MapGet("/api/tasks/{id:long}/trace", (long id) =>
        {
            if (farm.Tasks.Find(id) is not { } t) return NoTask(id);
            var source = t.ReusedFrom is { } from ? farm.Tasks.Find(from) ?? t : t;
            if (source.RunId is not { } run || logger.Store.FindRun(run) is null)
                return Results.Json(new { error = $"task {id} has no stored run yet" }, FarmJson.Options, statusCode: 404);
            return Results.Stream(logger.Store.OpenRunJsonLines(run), "application/x-ndjson", $"task-{id}.jsonl");
        });

        app.MapGet("/api/tasks/{id:long}/artifacts/{**name}", (long id, string name) =>
        {
            if (farm.Tasks.Find(id) is null) return NoTask(id);
            var bytes = farm.Tasks.ResultArtifact(id, name);
            return bytes is null
                ? Results.Json(new { error = $"task {id} has no artifact '{name}'" }, FarmJson.Options, statusCode: 404)
                : Results.Bytes(bytes, "application/octet-stream", Path.GetFileName(name));
        });

        app.MapGet("/api/workers", () => Results.Json(farm.Attempts.Workers(), FarmJson.Options));
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    private static IResult NoTask(long id) => Results.Json(new { error = $"no task {id}" }, FarmJson.Options, statusCode: 404);

    private static IResult? Unauthorized(HttpContext ctx, LoggerService logger)
    {
        string? presented = ctx.Request.Headers["X-Alkanet-Token"];
        if (string.IsNullOrEmpty(presented))
        {
            var auth = ctx.Request.Headers.Authorization.ToString();
            if (auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) presented = auth[7..].Trim();
        }
        if (string.IsNullOrEmpty(presented))
            return Results.Json(new { error = "the token is missing (X-Alkanet-Token or Authorization: Bearer)" }, FarmJson.Options, statusCode: 401);
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(logger.Options.Token))
            ? null
            : Results.Json(new { error = "the token is wrong" }, FarmJson.Options, statusCode: 403);
    }

    private static IResult Asset(string name, string contentType)
    {
        using var s = typeof(FarmApi).Assembly.GetManifestResourceStream("farm/" + name)
            ?? throw new InvalidOperationException($"embedded farm asset {name} missing");
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return Results.Bytes(ms.ToArray(), contentType);
    }
}
