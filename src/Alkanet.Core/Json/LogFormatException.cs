namespace Alkanet.Core.Json;

/// <summary>Where and why a log could not be read: the file, the 1-based line, the byte offset of the
/// problem in the (decompressed) stream, and a reason a person can act on.</summary>
public sealed record LogFormatError(string Source, long Line, long ByteOffset, string Reason)
{
    public override string ToString() => $"{Source}:{Line}: byte offset {ByteOffset}: {Reason}";
}

public sealed class LogFormatException : Exception
{
    public LogFormatException(LogFormatError error, Exception? inner = null)
        : base(error.ToString(), inner) => Error = error;

    public LogFormatException() : this(new LogFormatError("?", 0, 0, "malformed log")) { }

    public LogFormatException(string message) : this(new LogFormatError("?", 0, 0, message)) { }

    public LogFormatException(string message, Exception inner) : this(new LogFormatError("?", 0, 0, message), inner) { }

    public LogFormatError Error { get; }
}
