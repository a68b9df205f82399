using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Alkanet.Logging.Server;

/// <summary>Builds the logger process: the tracer listener (a hosted <see cref="LoggerService"/>) and, when
/// <see cref="LoggerServerOptions.Http"/> is set, the page and its API on Kestrel.</summary>
public static class LoggerHost
{
    public static IHost Build(LoggerServerOptions options, Action<ILoggingBuilder>? logging = null)
    {
        if (options.Http is null)
        {
            var hb = Host.CreateApplicationBuilder();
            ConfigureLogging(hb.Logging, logging);
            hb.Services.AddSingleton(options);
            hb.Services.AddSingleton<LoggerService>();
            hb.Services.AddHostedService(sp => sp.GetRequiredService<LoggerService>());
            return hb.Build();
        }
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "alkanet-logger" });
        ConfigureLogging(builder.Logging, logging);
        builder.WebHost.UseKestrel(k => k.Listen(options.Http));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<LoggerService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LoggerService>());
        var app = builder.Build();
        PageGuard.Use(app, options);
        WebApi.Map(app, app.Services.GetRequiredService<LoggerService>());
        return app;
    }

    private static void ConfigureLogging(ILoggingBuilder logging, Action<ILoggingBuilder>? custom)
    {
        logging.ClearProviders();
        logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
        logging.SetMinimumLevel(LogLevel.Information);
        logging.AddFilter("Microsoft", LogLevel.Warning);
        custom?.Invoke(logging);
    }
}
