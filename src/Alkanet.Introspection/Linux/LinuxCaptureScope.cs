using System.Collections.Concurrent;

namespace Alkanet.Introspection.Linux;

/// <summary>
/// Which processes' writes the hook reads (<c>--capture sample</c>, applied in the guest so out-of-scope processes do
/// not pay the read): a process whose exec gives it the sample's name (task comm, as the report matches the sample),
/// every process such a process forks, and every process it writes into (ptrace pokes, process_vm_writev). A process
/// leaves the scope at exit_group (its pid may be reused). Thread-safe: vCPUs hit it concurrently.
/// </summary>
public sealed class LinuxCaptureScope(string sampleComm)
{
    private readonly ConcurrentDictionary<ulong, byte> _tgids = new();

    /// <summary>The task comm of the sample (at most 15 bytes, as the kernel keeps it).</summary>
    public string SampleComm { get; } = sampleComm.Length > 15 ? sampleComm[..15] : sampleComm;

    public bool Contains(ulong tgid) => !_tgids.IsEmpty && _tgids.ContainsKey(tgid);

    /// <summary>Processes in scope now (tests, the run summary).</summary>
    public int Count => _tgids.Count;

    /// <summary>An exec returned successfully: the process is the sample when its new name is the sample's.</summary>
    public void OnExec(ulong tgid, string? comm)
    {
        if (comm == SampleComm) _tgids.TryAdd(tgid, 0);
    }

    /// <summary>A fork child's first return: in scope when its parent is.</summary>
    public void OnForkChild(ulong tgid, ulong parentTgid)
    {
        if (Contains(parentTgid)) _tgids.TryAdd(tgid, 0);
    }

    /// <summary>A process in scope writes into <paramref name="targetPid"/>'s memory: its writes are captured too.</summary>
    public void OnInject(ulong callerTgid, ulong targetPid)
    {
        if (targetPid != 0 && Contains(callerTgid)) _tgids.TryAdd(targetPid, 0);
    }

    public void OnExit(ulong tgid) => _tgids.TryRemove(tgid, out _);
}
