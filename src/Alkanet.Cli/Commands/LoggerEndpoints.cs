using System.Net;
using System.Security.Cryptography;

namespace Alkanet.Cli.Commands;

/// <summary>Parsing shared by the logger commands: endpoints and the token.</summary>
internal static class LoggerEndpoints
{
    public static IPEndPoint Parse(string text, string option)
    {
        if (IPEndPoint.TryParse(text, out var ep) && ep.Port is > 0 or 0 && text.Contains(':', StringComparison.Ordinal)) return ep;
        if (text.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase) && int.TryParse(text.AsSpan(10),
            out var port) && port is >= 0 and <= 65535)
            return new IPEndPoint(IPAddress.Loopback, port);
        throw new UsageException($"{option}: '{text}' is not ADDRESS:PORT (e.g. 127.0.0.1:7600)");
    }

    /// <summary>The token from --token, --token-file or ALKANET_LOGGER_TOKEN; null when none was given.</summary>
    public static string? Token(string? token, string? tokenFile)
    {
        if (token is not null && tokenFile is not null) throw new UsageException("give --token or --token-file, not both");
        if (tokenFile is not null)
        {
            if (!File.Exists(tokenFile)) throw new UsageException($"--token-file: {tokenFile} does not exist");
            var t = File.ReadAllText(tokenFile).Trim();
            if (t.Length == 0) throw new UsageException($"--token-file: {tokenFile} is empty");
            return t;
        }
        if (token is not null)
        {
            if (token.Length == 0) throw new UsageException("--token is empty");
            return token;
        }
        var env = Environment.GetEnvironmentVariable("ALKANET_LOGGER_TOKEN");
        return string.IsNullOrWhiteSpace(env) ? null : env.Trim();
    }

    /// <summary>A fresh random token saved (owner-only) as DATA/logger.token, for a logger started without one.</summary>
    public static string NewTokenFile(string dataDirectory, out string path)
    {
        Directory.CreateDirectory(dataDirectory);
        path = Path.Combine(dataDirectory, "logger.token");
        if (File.Exists(path)) return File.ReadAllText(path).Trim();
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        File.WriteAllText(path, token + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return token;
    }
}
