namespace Alkanet.Core.Records;

/// <summary>The <c>logtype</c> of a record. ENTER and EXIT are the original Alkanet's;
/// LOSS is ours: it stands in for a range of records that could not be delivered, so a gap is never silent.</summary>
public enum LogType : byte
{
    Enter = 0,
    Exit = 1,
    Loss = 2,
}

public static class LogTypeNames
{
    public const string Enter = "ENTER";
    public const string Exit = "EXIT";
    public const string Loss = "LOSS";

    public static string ToText(this LogType type) => type switch
    {
        LogType.Enter => Enter,
        LogType.Exit => Exit,
        LogType.Loss => Loss,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown log type"),
    };

    public static bool TryParse(ReadOnlySpan<char> text, out LogType type)
    {
        switch (text)
        {
            case Enter: type = LogType.Enter; return true;
            case Exit: type = LogType.Exit; return true;
            case Loss: type = LogType.Loss; return true;
            default: type = default; return false;
        }
    }

    internal static bool TryParseUtf8(ReadOnlySpan<byte> text, out LogType type)
    {
        if (text.SequenceEqual("ENTER"u8)) { type = LogType.Enter; return true; }
        if (text.SequenceEqual("EXIT"u8)) { type = LogType.Exit; return true; }
        if (text.SequenceEqual("LOSS"u8)) { type = LogType.Loss; return true; }
        type = default;
        return false;
    }
}
