namespace Alkanet.Logging.Wire;

/// <summary>The peer broke the wire protocol (garbage, an oversized frame, a wrong token, a bad field).
/// The connection is closed with <see cref="Exception.Message"/> as the logged reason.</summary>
public sealed class ProtocolException : Exception
{
    public ProtocolException() : this("protocol error") { }

    public ProtocolException(string message) : base(message) { }

    public ProtocolException(string message, Exception inner) : base(message, inner) { }
}
