using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
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
            captures = TaskOptions.Captures, reportFormats = TaskReports.Names, maxYaraBytes = SubmittedYaraRules.MaxBytes,
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
                var reused = farm.Tasks.CreateTask(s.Sample, s.SampleName, s.Options, farm.Options.MaxAttempts, earlier, s.YaraRules);
                return Results.Json(new { id = reused, state = TaskStates.Done, reusedFrom = earlier }, FarmJson.Options, statusCode: 200);
            }
            var id = farm.Tasks.CreateTask(s.Sample, s.SampleName, s.Options, farm.Options.MaxAttempts, yaraRules: s.YaraRules);
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
            var name = format ?? "json";
            if (!TaskReports.TryParse(name, out var fmt))
                return Results.Json(new { error = $"format '{name}' is not one of {string.Join(", ", TaskReports.Names)}" }, FarmJson.Options,
                    statusCode: 400);
            if (NotDone(farm, id) is { } notDone) return notDone;
            byte[]? bytes;
            try
            {
                bytes = TaskReports.Render(fmt, file => farm.Tasks.ResultArtifact(id, file));
            }
            catch (InvalidDataException ex)
            {
                return Results.Json(new { error = $"task {id}: {ex.Message}" }, FarmJson.Options, statusCode: 500);
            }
            if (bytes is null) return Results.Json(new { error = $"task {id}'s run wrote no report" }, FarmJson.Options, statusCode: 404);
            // guest-chosen strings are escaped by the report writer; the page is sandboxed all the same
            if (name == "html") ctx.Response.Headers.ContentSecurityPolicy = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:";
            return Results.Bytes(bytes, TaskReports.ContentType(fmt, bytes));
        });

        app.MapGet("/api/tasks/{id:long}/trace", (long id) =>
        {
            if (farm.Tasks.Find(id) is not { } t) return NoTask(id);
            var source = t.ReusedFrom is { } from ? farm.Tasks.Find(from) ?? t : t;
            if (source.RunId is not { } run || logger.Store.FindRun(run) is null)
                return Results.Json(new { error = $"task {id} has no stored run yet" }, FarmJson.Options, statusCode: 404);
            return Results.Stream(logger.Store.OpenRunJsonLines(run), "application/x-ndjson", $"task-{id}.jsonl");
        });

        app.MapGet("/api/tasks/{id:long}/artifacts", (long id) =>
        {
            if (NotDone(farm, id) is { } notDone) return notDone;
            var files = farm.Tasks.ResultArtifacts(id);
            // artifacts.json (docs/EVIDENCE.md) says what each captured file and memory region is: where it was written, by whom
            var captured = farm.Tasks.ResultArtifact(id, "artifacts.json") is { } index ? JsonOrNull(index) : null;
            return Results.Json(new
            {
                task = id, attempt = files.Count > 0 ? files[0].Attempt : (int?)null,
                artifacts = files.Select(f => new { f.Name, f.Sha256, f.Size, url = $"/api/tasks/{id}/artifacts/{f.Sha256}" }), captured,
            }, FarmJson.Options);
        });

        app.MapGet("/api/tasks/{id:long}/artifacts/{sha256}", (long id, string sha256) =>
        {
            if (sha256.Length != 64 || !sha256.All(char.IsAsciiHexDigitLower))
                return Results.Json(new { error = $"'{sha256}' is not a SHA-256 (64 lower-case hex digits)" }, FarmJson.Options, statusCode: 400);
            if (farm.Tasks.Find(id) is null) return NoTask(id);
            return farm.Tasks.ResultArtifactBySha256(id, Convert.FromHexString(sha256)) is { } found
                ? Results.Bytes(found.Bytes, "application/octet-stream", Path.GetFileName(found.Name))
                : Results.Json(new { error = $"task {id}'s result has no file with SHA-256 {sha256}" }, FarmJson.Options, statusCode: 404);
        });

        app.MapGet("/api/workers", () => Results.Json(farm.Attempts.Workers(), FarmJson.Options));
    }

    private static JsonElement? JsonOrNull(byte[] json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null; // the files are listed all the same; only their description is missing
        }
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    private static IResult NoTask(long id) => Results.Json(new { error = $"no task {id}" }, FarmJson.Options, statusCode: 404);

    /// <summary>404 for no such task, 409 (with its reason) until it is done; null when its results can be read.</summary>
    private static IResult? NotDone(FarmService farm, long id)
    {
        if (farm.Tasks.Find(id) is not { } t) return NoTask(id);
        return t.State == TaskStates.Done ? null
            : Results.Json(new { error = $"task {id} is {t.State}; its results exist once it is done", reason = t.Reason }, FarmJson.Options,
                statusCode: 409);
    }

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
