namespace Alkanet.Farm.Storage;

/// <summary>A task's states. Terminal: done, failed, cancelled.</summary>
public static class TaskStates
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Done = "done";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public static bool IsTerminal(string state) => state is Done or Failed or Cancelled;
}

/// <summary>What a submission asks for. <see cref="ReuseKey"/> names the options that change a run's result,
/// so a sample submitted again with the same key may reuse the earlier task. <see cref="Capture"/> is
/// <c>alkanet run --capture</c>'s (none, sample, all); <see cref="YaraSha256"/> names the submission's YARA rules,
/// stored as a blob (<c>--yara</c>), and <see cref="YaraName"/> their uploaded file name. Rows written before
/// these options existed read as capture "sample" and no rules: what those runs did.</summary>
public sealed record TaskOptions(string Kind, int TimeoutSeconds, bool Network, int Priority, IReadOnlyList<string> Tags,
    string Capture = TaskOptions.DefaultCapture, string? YaraSha256 = null, string? YaraName = null)
{
    public const string DefaultCapture = "sample";

    /// <summary><c>alkanet run --capture</c>'s values.</summary>
    public static readonly IReadOnlyList<string> Captures = ["none", "sample", "all"];

    public string ReuseKey =>
        $"kind={Kind};timeout={TimeoutSeconds};network={(Network ? 1 : 0)};capture={Capture};yara={YaraSha256 ?? "-"}";
}

public sealed record AttemptView(int N, string Worker, string RunId, string State, string? Reason, int? ExitCode,
    DateTimeOffset Started, DateTimeOffset? Ended, long RecordsStored);

public sealed record ArtifactView(int Attempt, string Name, string Sha256, long Size);

public sealed record TaskView(
    long Id, DateTimeOffset Created, string SampleName, string SampleSha256, string Kind, int TimeoutSeconds, bool Network,
    int Priority, IReadOnlyList<string> Tags, string State, int Attempts, int MaxAttempts, int? ResultAttempt, string? Reason,
    DateTimeOffset? Started, DateTimeOffset? Finished, string? Worker, long? ReusedFrom, string Capture, string? YaraSha256,
    string? YaraName)
{
    /// <summary>The run id of the attempt whose results are the task's (the last attempt while it runs).</summary>
    public string? RunId => ResultAttempt is { } n ? FarmNames.RunId(Id, n) : Attempts > 0 ? FarmNames.RunId(Id, Attempts) : null;
}

public sealed record TaskDetail(TaskView Task, IReadOnlyList<AttemptView> AttemptList, IReadOnlyList<ArtifactView> Artifacts);

public sealed record WorkerView(string Name, string Host, int Pid, string Kind, int Slots, DateTimeOffset Started,
    DateTimeOffset LastSeen, string State, string Running, double SecondsSinceSeen);

/// <summary>An artifact a worker hands in with a finished attempt.</summary>
public sealed record ArtifactFile(string Name, byte[] Bytes);

/// <summary>Names shared by the service, the workers and the queue.</summary>
public static class FarmNames
{
    /// <summary>The logger run of one attempt: TASK-ATTEMPT.</summary>
    public static string RunId(long task, int attempt) => $"{task}-{attempt}";

    public static bool IsValidKind(string kind) =>
        kind.Length is > 0 and <= 40 && kind.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_');
}
