using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Alkanet.Logging.Server;

/// <summary>
/// What every answer of the page and its API goes through (docs/RELIABILITY.md, "Threat model"):
/// <list type="bullet">
/// <item>the <c>Host</c> header must be an allowed name, so a site whose name an attacker re-points at this address
/// (DNS rebinding) gets 421 instead of the records: the browser's same-origin rule is about names, not addresses;</item>
/// <item>no other site may frame the page (<c>frame-ancestors 'none'</c>, <c>X-Frame-Options: DENY</c>): no clickjacking
/// of the control buttons. The report frame is the page's own, so it may be framed by the same origin only;</item>
/// <item>the token check, throttled per source by the <see cref="TokenGuard"/>.</item>
/// </list>
/// </summary>
public static class PageGuard
{
    /// <summary>The report view is framed by the page itself; everything else may not be framed at all.</summary>
    internal const string FramedBySelfMarker = "alkanet-framed-by-self";

    public static void Use(WebApplication app, LoggerServerOptions options)
    {
        var allowed = AllowedHosts(options);
        app.Use(async (ctx, next) =>
        {
            var host = ctx.Request.Host.Host;
            if (!IsAllowed(host, allowed))
            {
                ctx.Response.StatusCode = StatusCodes.Status421MisdirectedRequest;
                ctx.Response.ContentType = "text/plain; charset=utf-8";
                await ctx.Response.WriteAsync($"host '{host}' is not one this logger answers to (allowed: {string.Join(", ", allowed)}; " +
                                              "alkanet logger --allowed-hosts adds names)\n");
                return;
            }
            ctx.Response.OnStarting(() =>
            {
                var h = ctx.Response.Headers;
                var self = ctx.Items.ContainsKey(FramedBySelfMarker);
                h.XFrameOptions = self ? "SAMEORIGIN" : "DENY";
                h.XContentTypeOptions = "nosniff";
                h["Referrer-Policy"] = "no-referrer";
                var ancestors = self ? "frame-ancestors 'self'" : "frame-ancestors 'none'";
                var csp = h.ContentSecurityPolicy.ToString();
                h.ContentSecurityPolicy = string.IsNullOrEmpty(csp) ? ancestors : csp + "; " + ancestors;
                return Task.CompletedTask;
            });
            await next(ctx);
        });
    }

    /// <summary>The configured names, or loopback names plus the page's own listen address when it is not a wildcard.</summary>
    public static IReadOnlyList<string> AllowedHosts(LoggerServerOptions options)
    {
        if (options.AllowedHosts.Count > 0) return options.AllowedHosts;
        var list = new List<string> { "localhost", "127.0.0.1", "[::1]" };
        if (options.Http is { } http && !http.Address.Equals(IPAddress.Any) && !http.Address.Equals(IPAddress.IPv6Any) && !IPAddress.IsLoopback(http.Address))
            list.Add(http.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{http.Address}]" : http.Address.ToString());
        return list;
    }

    private static bool IsAllowed(string host, IReadOnlyList<string> allowed)
    {
        if (allowed.Contains("*")) return true;
        if (allowed.Any(a => string.Equals(a, host, StringComparison.OrdinalIgnoreCase))) return true;
        // any loopback literal (127.0.0.2, [::1]) is this machine: no other site's name can be one
        return allowed.Contains("localhost") && IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip);
    }

    /// <summary>Null when the request carries the right token; otherwise the answer to send (401, or 429 while its source
    /// is locked out after too many wrong tokens).</summary>
    public static IResult? Authorize(HttpContext ctx, LoggerService logger)
    {
        string? presented = ctx.Request.Headers["X-Alkanet-Token"];
        if (string.IsNullOrEmpty(presented))
        {
            var auth = ctx.Request.Headers.Authorization.ToString();
            if (auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) presented = auth[7..].Trim();
        }
        if (string.IsNullOrEmpty(presented)) return Results.Unauthorized();
        var source = ctx.Connection.RemoteIpAddress ?? IPAddress.None;
        if (logger.Guard.Throttled(source, out var retry))
        {
            ctx.Response.Headers.RetryAfter = Math.Ceiling(retry.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Results.Json(new { error = $"too many wrong tokens from {source}; try again in {Math.Ceiling(retry.TotalSeconds):0} s" },
                statusCode: StatusCodes.Status429TooManyRequests);
        }
        if (CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(logger.Options.Token)))
        {
            logger.Guard.Succeeded(source);
            return null;
        }
        logger.Guard.Failed(source, "page", ctx.Request.Path.Value);
        return Results.Unauthorized();
    }
}
