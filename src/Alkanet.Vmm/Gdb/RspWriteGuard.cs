using System.Text;

namespace Alkanet.Vmm.Gdb;

/// <summary>
/// The tracer's promise never to change the guest, enforced on the wire: an allowlist of packets that
/// only read (registers, memory, target description, thread lists, read-only monitor commands) or
/// control execution without touching guest state (hardware breakpoints Z1/z1, continue and step with
/// no address, detach). Everything else — M, X, G, P, Z0 (a 0xCC under KVM), c/s with an address,
/// signals, kill, reset, writable monitor commands — is refused before a byte is sent.
/// The one exception is a single armed register write: the RIP step over a verified 5-byte NOP at the
/// tracer's own breakpoint site, armed by <see cref="GdbClient.StepOverVerifiedNop"/> for exactly one payload.
/// </summary>
public sealed class RspWriteGuard
{
    private string? _armedRipWrite;

    /// <summary>How many writes the guard let through (only armed RIP steps can count here).</summary>
    public long AllowedRegisterWrites { get; private set; }

    /// <summary>How many packets it refused.</summary>
    public long Refused { get; private set; }

    /// <summary>Arms exactly one permitted payload (the RIP step); it is consumed by the next send.</summary>
    internal void ArmRipWrite(string exactPayload) => _armedRipWrite = exactPayload;

    internal void Disarm() => _armedRipWrite = null;

    /// <exception cref="GdbWriteRefusedException">the packet is not on the allowlist.</exception>
    public void Check(string payload)
    {
        if (_armedRipWrite is not null && payload == _armedRipWrite)
        {
            _armedRipWrite = null;
            AllowedRegisterWrites++;
            return;
        }
        var reason = WhyRefused(payload);
        if (reason is null) return;
        Refused++;
        throw new GdbWriteRefusedException($"write guard: refused packet '{RspConnection.Abbreviate(payload)}': {reason}");
    }

    /// <summary>Null when the packet only reads or controls execution; otherwise why it is refused.</summary>
    public static string? WhyRefused(string payload)
    {
        if (payload.Length == 0) return "empty packet";
        switch (payload[0])
        {
            case '?':
            case 'g':
                return payload.Length == 1 ? null : "unknown form";
            case 'p':
            case 'm':
                return IsHexArgs(payload.AsSpan(1), payload[0] == 'm' ? 2 : 1) ? null : "malformed read";
            case 'H':
                return payload.Length > 2 && payload[1] is 'g' or 'c' ? null : "unknown H form";
            case 'T':
                return null; // thread alive?
            case 'Z':
            case 'z':
                return payload.StartsWith(payload[0] + "1,", StringComparison.Ordinal)
                    ? null
                    : "only hardware breakpoints (Z1/z1) are allowed: Z0 writes 0xCC into guest memory under KVM";
            case 'D':
                return payload == "D" || payload.StartsWith("D;", StringComparison.Ordinal) ? null : "unknown D form";
            case 'q':
                return CheckQuery(payload);
            case 'v':
                return CheckV(payload);
            case 'M':
            case 'X':
                return "writes guest memory";
            case 'G':
            case 'P':
                return "writes guest registers (only the armed RIP step over a verified NOP may)";
            case 'c':
            case 's':
                return payload.Length == 1 ? null : "continue/step at an address writes RIP";
            case 'C':
            case 'S':
                return "continue/step with a signal";
            case 'k':
            case 'R':
            case 'r':
                return "kills or resets the target";
            case 'Q':
                return "set packets change stub state";
            default:
                return "not on the read-only allowlist";
        }
    }

    private static string? CheckQuery(string payload)
    {
        if (payload.StartsWith("qSupported", StringComparison.Ordinal)
            || payload.StartsWith("qXfer:features:read:", StringComparison.Ordinal)
            || payload is "qfThreadInfo" or "qsThreadInfo" or "qC" or "qAttached"
            || payload.StartsWith("qAttached:", StringComparison.Ordinal)
            || payload.StartsWith("qThreadExtraInfo,", StringComparison.Ordinal))
            return null;
        if (payload.StartsWith("qRcmd,", StringComparison.Ordinal))
        {
            var hex = payload.AsSpan(6);
            var bytes = new byte[hex.Length / 2];
            if (RspCodec.DecodeHex(Encoding.ASCII.GetBytes(hex.ToString()), bytes, out var bad) != bytes.Length || bad || bytes.Length == 0)
                return "malformed monitor command";
            var command = Encoding.UTF8.GetString(bytes).Trim();
            // "info ..." only reads; every other monitor command (system_reset, memsave, gdbserver, ...) may change the VM.
            return command.StartsWith("info ", StringComparison.Ordinal) && !command.Contains(';', StringComparison.Ordinal)
                ? null
                : $"monitor command '{command}' is not a read-only 'info' command";
        }
        return "query not on the allowlist";
    }

    private static string? CheckV(string payload)
    {
        if (payload is "vCont?" or "vMustReplyEmpty") return null;
        if (!payload.StartsWith("vCont;", StringComparison.Ordinal)) return "v packet not on the allowlist";
        foreach (var action in payload[6..].Split(';'))
        {
            var colon = action.IndexOf(':', StringComparison.Ordinal);
            var verb = colon < 0 ? action : action[..colon];
            if (verb is not ("c" or "s")) return $"vCont action '{verb}' (only c and s without a signal are allowed)";
        }
        return null;
    }

    private static bool IsHexArgs(ReadOnlySpan<char> args, int count)
    {
        var n = 0;
        foreach (var range in args.Split(','))
        {
            if (!RspCodec.TryParseHexNumber(args[range], out _)) return false;
            n++;
        }
        return n == count;
    }
}
