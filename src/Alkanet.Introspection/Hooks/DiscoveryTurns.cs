using Alkanet.Introspection.Cpu;
using Alkanet.Introspection.Memory;

namespace Alkanet.Introspection.Hooks;

/// <summary>Discovery from vCPU state for a hook that sees many vCPUs at once (the TCG plugin): one attempt at a time
/// (another vCPU's call returns false at once), attempts and failures counted, the last reason kept, and an exception
/// from a read path (guest memory is hostile) turned into a failed attempt that the next one retries.</summary>
public sealed class DiscoveryTurns(IGuestOs os)
{
    private int _busy;
    private long _attempts, _failures;
    private volatile string? _lastError = "no discovery attempt yet (no kernel-mode code at a kernel address has run)";

    public IGuestOs Os { get; } = os;

    public long Attempts => Interlocked.Read(ref _attempts);

    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Why the last attempt failed; null once found.</summary>
    public string? LastError => _lastError;

    /// <summary>One attempt from the hitting vCPU; true once the OS has found its sites.</summary>
    public bool TryFind(in VcpuState cpu, IVirtualMemory memory)
    {
        if (Os.Found is not null) return true;
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0) return false;
        try
        {
            Interlocked.Increment(ref _attempts);
            var result = Os.Find(cpu, memory);
            if (result.Found)
            {
                _lastError = null;
                return true;
            }
            Interlocked.Increment(ref _failures);
            _lastError = result.Error!;
            return false;
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref _failures);
            _lastError = $"discovery failed: {e.GetType().Name}: {e.Message}";
            return false;
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>The OS's own line once found, else the attempts so far and the last reason.</summary>
    public string Describe() => Os.Found is not null ? Os.Describe() : $"kernel not found yet after {Attempts} attempt(s): {LastError}";
}
