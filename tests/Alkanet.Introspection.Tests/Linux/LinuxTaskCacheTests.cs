using Alkanet.Core.Records;
using Alkanet.Introspection.Cpu;
using Alkanet.Introspection.Linux;
using Alkanet.Introspection.TestKit;

namespace Alkanet.Introspection.Tests.Linux;

/// <summary>The tracer's per-task cache (<see cref="LinuxTaskCache"/>): each hit reads the identity from the cache, so
/// these check that what changes a task's identity, or gives its kernel stack to another task, is seen.</summary>
public sealed class LinuxTaskCacheTests
{
    private const ulong Task1 = SyntheticLinuxGuest.Task1;
    private const ulong Task2 = SyntheticLinuxGuest.Task2;
    private const ulong Regs = SyntheticLinuxGuest.Regs;
    private const ulong Regs2 = SyntheticLinuxGuest.Regs2;
    private const ulong Getppid = 110, Clone = 56, Execve = 59, Prctl = 157, ExitGroup = 231;
    private readonly SyntheticLinuxGuest _g = new();
    private readonly LinuxSyscallTracer _tracer = new(SyntheticLinuxGuest.Profile());
    private readonly SyscallRecord _r = new();

    private static VcpuState Cpu(ulong nr, ulong regs = Regs, int index = 0) => SyntheticLinuxGuest.Vcpu(nr, index, regs);

    /// <summary>A whole call of the task at <paramref name="regs"/>: ENTER, then EXIT with <paramref name="ret"/>.</summary>
    private (string EnterComm, ulong EnterTid) Call(ulong nr, ulong regs = Regs, ulong ret = 0, Action? inKernel = null, params ulong[] args)
    {
        _g.CurrentRegs = regs;
        _g.PtRegs(nr, args);
        _tracer.OnEnter(false, Cpu(nr, regs), _g, _r).ShouldBeTrue();
        var enter = (_r.ProcName, _r.Tid);
        inKernel?.Invoke();
        _g.Return(ret);
        _tracer.OnExit(Cpu(0, regs), _g, _r).ShouldBeTrue();
        _r.AdditionalInfo["unpaired"].ShouldBeNull();
        return enter;
    }

    /// <summary>A new task's first hit: its return from fork on the kernel stack at <paramref name="regs"/>.</summary>
    private void ForkReturn(ulong regs)
    {
        _g.CurrentRegs = regs;
        _g.PtRegs(Clone);
        _g.Return(0);
        _tracer.OnExit(Cpu(0, regs), _g, _r).ShouldBeTrue();
        _r.AdditionalInfo["unpaired"].ShouldBe("fork_child");
    }

    [Fact]
    public void A_warm_hit_reads_the_identity_from_the_cache_not_from_the_task()
    {
        _g.Task(Task1, 0x60, 0x60, "loop");
        Call(Getppid);
        _g.Task(Task1, 0x60, 0x60, "changed"); // not by a call of its own: the cache keeps what it read
        Call(Getppid).EnterComm.ShouldBe("loop");
        _tracer.Tasks.Find(Regs)!.Identity!.Comm.ShouldBe("loop");
    }

    [Fact]
    public void A_pid_reused_by_a_new_process_shows_the_new_process_and_a_new_lifetime()
    {
        _g.Task(Task1, 0x60, 0x60, "old");
        Call(Getppid);
        var oldSeq = _r.ProcSeq;
        _g.CurrentRegs = Regs;
        _g.PtRegs(ExitGroup);
        _tracer.OnEnter(false, Cpu(ExitGroup), _g, _r);
        // pid 0x60 comes back as another program, on another kernel stack and task_struct
        _g.Task(Task2, 0x60, 0x60, "new", parent: Task1);
        ForkReturn(Regs2);
        _r.ProcName.ShouldBe("new");
        _r.ProcSeq.ShouldNotBe(oldSeq);
        var (comm, tid) = Call(Getppid, Regs2);
        comm.ShouldBe("new");
        tid.ShouldBe(0x60UL);
        _r.ProcSeq.ShouldNotBe(oldSeq);
    }

    [Fact]
    public void A_thread_killed_without_a_call_of_its_own_leaves_nothing_for_the_task_that_reuses_its_stack()
    {
        // two threads of process 0x60: the second (tid 0x61) is blocked in a call when the first calls exit_group
        _g.Task(Task2, 0x61, 0x60, "worker");
        _g.CurrentRegs = Regs2;
        _g.PtRegs(0, 3, 0x400000, 16); // read(3, ...) that never returns: the thread is killed
        _tracer.OnEnter(false, Cpu(0, Regs2), _g, _r);
        _g.Task(Task1, 0x60, 0x60, "worker");
        _g.CurrentRegs = Regs;
        _g.PtRegs(ExitGroup);
        _tracer.OnEnter(false, Cpu(ExitGroup), _g, _r);
        // the same task_struct and kernel stack go to a thread of another process
        _g.Task(Task2, 0x71, 0x70, "other");
        ForkReturn(Regs2);
        _r.Tid.ShouldBe(0x71UL);
        _r.Pid.ShouldBe(0x70UL);
        var (comm, tid) = Call(Getppid, Regs2);
        comm.ShouldBe("other");
        tid.ShouldBe(0x71UL);
        _r.SysNo.ShouldBe(Getppid); // the killed read's ENTER paired with nothing of the new thread
    }

    [Fact]
    public void Execve_renames_the_process_from_its_EXIT_on()
    {
        _g.Task(Task1, 0x60, 0x60, "sh");
        Call(Getppid).EnterComm.ShouldBe("sh");
        _g.Str(0x400000, "/tmp/payload");
        var enterComm = Call(Execve, inKernel: () => _g.Task(Task1, 0x60, 0x60, "payload"), args: [0x400000, 0, 0]).EnterComm;
        enterComm.ShouldBe("sh");
        _r.Name.ShouldBe("execve");
        _r.ProcName.ShouldBe("payload");
        Call(Getppid).EnterComm.ShouldBe("payload");
    }

    [Fact]
    public void Execve_by_a_non_leader_thread_takes_the_leaders_pid()
    {
        _g.Task(Task2, 0x61, 0x60, "app");
        Call(Getppid, Regs2).EnterTid.ShouldBe(0x61UL);
        _g.Str(0x400000, "/bin/sh");
        Call(Execve, Regs2, inKernel: () => _g.Task(Task2, 0x60, 0x60, "sh"), args: [0x400000, 0, 0]);
        _r.Tid.ShouldBe(0x60UL);
        var (comm, tid) = Call(Getppid, Regs2);
        (comm, tid).ShouldBe(("sh", 0x60UL));
    }

    [Fact]
    public void Prctl_PR_SET_NAME_renames_the_task_from_its_EXIT_on()
    {
        _g.Task(Task1, 0x60, 0x60, "implant");
        Call(Getppid).EnterComm.ShouldBe("implant");
        _g.Str(0x400000, "kworker/0:1");
        Call(Prctl, inKernel: () => _g.Task(Task1, 0x60, 0x60, "kworker/0:1"), args: [15, 0x400000]).EnterComm.ShouldBe("implant");
        _r.ProcName.ShouldBe("kworker/0:1");
        Call(Getppid).EnterComm.ShouldBe("kworker/0:1");
    }

    [Fact]
    public void A_parents_exit_makes_its_children_read_their_new_parent()
    {
        const ulong init = 0xffff888003000000;
        _g.Task(init, 1, 1, "init");
        _g.Task(Task1, 0x60, 0x60, "parent", parent: init);
        Call(Getppid);
        _g.Task(Task2, 0x61, 0x61, "child", parent: Task1);
        Call(Getppid, Regs2);
        _r.ParentPid.ShouldBe(0x60UL);
        _g.Task(Task1, 0x60, 0x60, "parent", parent: init);
        _g.CurrentRegs = Regs;
        _g.PtRegs(ExitGroup);
        _tracer.OnEnter(false, Cpu(ExitGroup), _g, _r);
        _g.Task(Task2, 0x61, 0x61, "child", parent: init); // reparented to init
        Call(Getppid, Regs2);
        _r.ParentPid.ShouldBe(1UL);
    }

    [Fact]
    public void Hits_the_hook_missed_make_every_identity_be_read_again_but_keep_pending_calls()
    {
        _g.Task(Task1, 0x60, 0x60, "before");
        Call(Getppid);
        _g.CurrentRegs = Regs;
        _g.PtRegs(Getppid);
        _tracer.OnEnter(false, Cpu(Getppid), _g, _r);
        _g.Task(Task1, 0x60, 0x60, "renamed"); // e.g. a prctl while the run was paused
        _tracer.ForgetTasks();
        _tracer.OnExit(Cpu(0), _g, _r);
        _r.AdditionalInfo["unpaired"].ShouldBeNull();
        _r.ProcName.ShouldBe("renamed");
    }

    [Fact]
    public void A_warm_call_without_decoded_arguments_allocates_nothing()
    {
        var tracer = new LinuxSyscallTracer(SyntheticLinuxGuest.Profile()) { ArgsForEveryCall = false };
        _g.Task(Task1, 0x60, 0x60, "loop");
        _g.PtRegs(Getppid);
        for (var i = 0; i < 100; i++)
        {
            tracer.OnEnter(false, Cpu(Getppid), _g, _r);
            tracer.OnExit(Cpu(0), _g, _r);
        }
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            tracer.OnEnter(false, Cpu(Getppid), _g, _r);
            tracer.OnExit(Cpu(0), _g, _r);
        }
        (GC.GetAllocatedBytesForCurrentThread() - before).ShouldBe(0);
        _r.Name.ShouldBe("unknown_6e");
        _r.ProcName.ShouldBe("loop");
    }

    [Fact]
    public void The_cache_is_bounded_and_starts_again_past_its_capacity()
    {
        var cache = new LinuxTaskCache();
        for (ulong i = 0; i <= LinuxTaskCache.Capacity; i++) cache.Slot(0xffffc90000000f58 + (i << 14));
        cache.Count.ShouldBeLessThanOrEqualTo(LinuxTaskCache.Capacity);
        cache.Count.ShouldBeGreaterThan(0);
    }
    [Fact]
    public void Forgetting_everything_keeps_a_pending_call_but_drops_its_pin()
    {
        var cache = new LinuxTaskCache();
        var slot = cache.Slot(Regs);
        slot.Pending = true;
        slot.Number = Getppid;
        slot.RegsPhysical = 0x1234000;
        cache.ForgetAll();
        slot.Pending.ShouldBeTrue();
        slot.RegsPhysical.ShouldBe(0UL);
        slot.RegsPhysical = 0x1234000;
        cache.Forget(Regs);
        slot.Pending.ShouldBeFalse();
        slot.RegsPhysical.ShouldBe(0UL);
    }
}
