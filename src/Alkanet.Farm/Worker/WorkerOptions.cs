using System.Security.Cryptography;

namespace Alkanet.Farm.Worker;

/// <summary>How <c>alkanet worker</c> runs (see docs/FARM.md).</summary>
public sealed record WorkerOptions
{
    public required string BrokerUri { get; init; }

    public required string DatabaseConnectionString { get; init; }

    /// <summary>The service's tracer port, HOST:PORT: each run streams its records there.</summary>
    public required string LoggerEndpoint { get; init; }

    /// <summary>The file holding the service's token (handed to each run as <c>--token-file</c>).</summary>
    public required string TokenFile { get; init; }

    /// <summary>The guest kind this worker serves (its queues are <c>alkanet.KIND.p*</c>).</summary>
    public required string Kind { get; init; }

    public int Slots { get; init; } = 1;

    /// <summary>Where each attempt gets its folder (sample, output, the run's console output).</summary>
    public required string WorkDirectory { get; init; }

    /// <summary>The command that runs one task, before its <c>run SAMPLE --out DIR ...</c> arguments: this
    /// <c>alkanet</c> by default; tests put a stand-in with the same options here.</summary>
    public required IReadOnlyList<string> Runner { get; init; }

    /// <summary>For a Windows kind: the disk image (runs become <c>run --image IMAGE --os windows SAMPLE</c>).</summary>
    public string? Image { get; init; }

    /// <summary>With <see cref="Image"/>: the folder of Windows symbol tables (<c>run --profiles</c>), or null for the default.</summary>
    public string? Profiles { get; init; }

    /// <summary>With <see cref="Image"/>: the guest's RAM as <c>run --memory</c> takes it (e.g. 4G), or null for its default.</summary>
    public string? Memory { get; init; }

    /// <summary>The image options of each run (none for the Linux analysis guest).</summary>
    public IReadOnlyList<string> ImageArguments()
    {
        if (Image is null) return [];
        var args = new List<string> { "--image", Image, "--os", "windows" };
        if (Profiles is not null) args.AddRange(["--profiles", Profiles]);
        if (Memory is not null) args.AddRange(["--memory", Memory]);
        return args;
    }

    /// <summary>Time a run gets beyond its own timeout (boot, report, upload) before the worker kills it as hung.</summary>
    public TimeSpan Leeway { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How often each heartbeat (and the check for cancelled tasks) happens.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long an idle slot waits before looking at the queues again.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Unique across hosts: host name, process id and a random part (two workers on one host, or a
    /// restarted worker reusing a pid, never share a name).</summary>
    public string Name { get; init; } =
        $"{Environment.MachineName}-{Environment.ProcessId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
}
