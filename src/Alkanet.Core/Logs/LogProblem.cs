namespace Alkanet.Core.Logs;

public enum LogProblemKind
{
    /// <summary>A record that could not be read (JSON or field types).</summary>
    Malformed,
    /// <summary>Numbers missing between two records.</summary>
    Gap,
    /// <summary>A number seen twice.</summary>
    Duplicate,
    /// <summary>A number that arrived after a larger one and filled an earlier gap.</summary>
    OutOfOrder,
    /// <summary>An EXIT with no ENTER on its thread (and no <c>unpaired</c> reason).</summary>
    ExitWithoutEnter,
    /// <summary>Records were lost and a LOSS marker says so (reported, not hidden).</summary>
    Loss,
}

/// <summary>One finding of <see cref="LogValidator"/>, with where it is.</summary>
public sealed record LogProblem(LogProblemKind Kind, string Source, long Line, long ByteOffset, long? No, string Message)
{
    /// <summary>Loss is reported but the tracer was honest about it; everything else makes the log invalid.</summary>
    public bool IsError => Kind != LogProblemKind.Loss;

    public override string ToString() => $"{Source}:{Line}: {Kind}: {Message}";
}
