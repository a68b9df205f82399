using Alkanet.Farm.Storage;
using Alkanet.Logging.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Alkanet.Farm.Service;

/// <summary>Builds <c>alkanet serve</c>: the logger (tracer port, page, API) storing into PostgreSQL, plus the farm's
/// API, page and dead-letter reader, on one Kestrel port.</summary>
public static class FarmHost
{
    public static WebApplication Build(FarmServiceOptions options, Action<ILoggingBuilder>? logging = null)
    {
        var http = options.Logger.Http ?? throw new ArgumentException("the farm service needs an HTTP endpoint", nameof(options));
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "alkanet-serve" });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        logging?.Invoke(builder.Logging);
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(http);
            k.Limits.MaxRequestBodySize = options.MaxSampleBytes + (1 << 20);
        });
        builder.Services.Configure<FormOptions>(f => f.MultipartBodyLengthLimit = options.MaxSampleBytes + (64 << 10));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<FarmService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<FarmService>());
        builder.Services.AddSingleton(sp =>
        {
            var farm = sp.GetRequiredService<FarmService>();
            return options.Logger with { StoreFactory = _ => new PostgresRunStore(farm.Database) };
        });
        builder.Services.AddSingleton<LoggerService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LoggerService>());
        var app = builder.Build();
        var logger = app.Services.GetRequiredService<LoggerService>();
        var farm = app.Services.GetRequiredService<FarmService>();
        WebApi.Map(app, logger);
        FarmApi.Map(app, farm, logger, app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("alkanet.farm"));
        return app;
    }
}
