using System.Collections.Concurrent;

namespace Alkanet.Introspection.Linux;

/// <summary>
/// What the tracer keeps per user task, keyed by the task's pt_regs address (RDI at every site: the top of the task's
/// own kernel stack, so naming the task costs no guest read): its identity (<see cref="Identity"/>, null when it must
/// be read again) and the call it has entered and not yet returned from. Touched only by the hits of that task, so by
/// one vCPU at a time (a task migrates only through the guest scheduler's own locks); the identity is one immutable
/// object swapped whole, so a concurrent <see cref="LinuxTaskCache.ForgetChildrenOf"/> never shows half of one.
/// </summary>
public sealed class LinuxTaskSlot
{
    private volatile LinuxTaskIdentity? _identity;

    public LinuxTaskIdentity? Identity { get => _identity; set => _identity = value; }

    /// <summary>The entered call waiting for its EXIT (no allocation per call: the slot holds it).</summary>
    public bool Pending;
    public ulong Number;
    public string Name = "";
    public bool Ia32;
    /// <summary>The first argument at ENTER (a 64-bit call's; <see cref="ulong.MaxValue"/> when not read): the socket's fd of
    /// connect/bind/sendto/sendmsg, whose local port the EXIT reads. One store per call, no test on the name.</summary>
    public ulong Arg0 = ulong.MaxValue;
    /// <summary>Values unreadable at ENTER (a string not yet faulted in), read again at EXIT; null when none.</summary>
    public Core.Records.AdditionalInfo? Unread;
    /// <summary>Where the pending call's pt_regs lie physically (0: not pinned): its EXIT reads them there without a page
    /// walk. Sound only while <see cref="Pending"/>: the task is inside the call, so its kernel stack stays mapped.</summary>
    public ulong RegsPhysical;

    public void ClearPending()
    {
        Pending = false;
        Unread = null;
        RegsPhysical = 0;
    }
}

/// <summary>A task's identity as read from its task_struct once, shared by every record of the task until something
/// changes it (immutable: a change is a new object).</summary>
public sealed record LinuxTaskIdentity(ulong Task, ulong Pid, ulong Tgid, ulong ParentTgid, string Comm, long ProcSeq)
{
    public LinuxTaskInfo Info => new() { Task = Task, Pid = Pid, Tgid = Tgid, ParentTgid = ParentTgid, Comm = Comm, ProcSeq = ProcSeq };
}

/// <summary>
/// The per-task cache of <see cref="LinuxSyscallTracer"/>. Why the identity stays right:
/// <list type="bullet">
/// <item>a new user task's first hit is its first return from fork (or from a kernel thread's execve): an EXIT with no
/// ENTER, where the tracer reads the identity again; so a kernel stack reused by a new task (a thread killed by
/// another's exit_group, a pid reused, a task_struct at the same address) never shows its previous owner;</item>
/// <item>what changes a running task's identity is a call of its own: execve (comm, and the pid when a non-leader
/// thread execs), prctl(PR_SET_NAME) (comm): their EXIT reads it again; exit and exit_group drop it;</item>
/// <item>a parent's exit reparents its children: every cached child of that process is read again at its next hit;</item>
/// <item>hits the hook did not decode (a paused run) may have hidden any of the above: <see cref="ForgetAll"/>.</item>
/// </list>
/// </summary>
public sealed class LinuxTaskCache
{
    /// <summary>Bound on slots kept (distinct kernel stacks seen); past it the cache starts again.</summary>
    public const int Capacity = 65536;
    private ConcurrentDictionary<ulong, LinuxTaskSlot> _slots = new();

    public int Count => _slots.Count;

    /// <summary>Every slot (tests, the run summary).</summary>
    public IEnumerable<LinuxTaskSlot> Slots => _slots.Values;

    /// <summary>The slot at <paramref name="regs"/> if one was made (tests).</summary>
    public LinuxTaskSlot? Find(ulong regs) => _slots.TryGetValue(regs, out var slot) ? slot : null;

    /// <summary>The slot of the task whose pt_regs sit at <paramref name="regs"/> (made on its first hit).</summary>
    public LinuxTaskSlot Slot(ulong regs)
    {
        var slots = _slots;
        if (slots.TryGetValue(regs, out var slot)) return slot;
        if (slots.Count >= Capacity) Interlocked.CompareExchange(ref _slots, new ConcurrentDictionary<ulong, LinuxTaskSlot>(), slots);
        return _slots.GetOrAdd(regs, static _ => new LinuxTaskSlot());
    }

    /// <summary>The task at <paramref name="regs"/> ended (exit, exit_group): nothing cached or pending stays.</summary>
    public void Forget(ulong regs)
    {
        if (!_slots.TryGetValue(regs, out var slot)) return;
        slot.Identity = null;
        slot.ClearPending();
    }

    /// <summary>Process <paramref name="tgid"/> is exiting: its children will get another parent, so their cached
    /// identities (which name the parent) are read again at their next hit.</summary>
    public void ForgetChildrenOf(ulong tgid)
    {
        if (tgid == 0) return;
        foreach (var kv in _slots)
            if (kv.Value.Identity is { } id && id.ParentTgid == tgid) kv.Value.Identity = null;
    }

    /// <summary>Every identity is read again (pending calls stay: their EXIT still pairs, reading its pt_regs through the
    /// page tables, since an exit the hook did not see may have freed the stack a pin points into).</summary>
    public void ForgetAll()
    {
        foreach (var kv in _slots)
        {
            kv.Value.Identity = null;
            kv.Value.RegsPhysical = 0;
        }
    }
}
