namespace Alkanet.Vmm.Gdb;

/// <summary>The gdbstub broke the GDB remote serial protocol: a bad frame, a bad checksum after retries,
/// an oversized reply, or an answer the command does not allow. The message names what was expected.</summary>
public class GdbProtocolException : Exception
{
    public GdbProtocolException() : this("GDB remote protocol error") { }

    public GdbProtocolException(string message) : base(message) { }

    public GdbProtocolException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>The gdbstub did not answer within the timeout, or closed the connection.</summary>
public sealed class GdbConnectionException : GdbProtocolException
{
    public GdbConnectionException() : this("gdbstub connection failed") { }

    public GdbConnectionException(string message) : base(message) { }

    public GdbConnectionException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>The write guard refused a packet that would write guest memory or registers (or otherwise
/// change the guest); nothing was sent.</summary>
public sealed class GdbWriteRefusedException : Exception
{
    public GdbWriteRefusedException() : this("packet refused by the write guard") { }

    public GdbWriteRefusedException(string message) : base(message) { }

    public GdbWriteRefusedException(string message, Exception inner) : base(message, inner) { }
}
