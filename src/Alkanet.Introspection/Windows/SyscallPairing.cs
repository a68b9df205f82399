namespace Alkanet.Introspection.Windows;

/// <summary>Pairs EXIT with ENTER per thread by user stack pointer, innermost first (user-mode callbacks nest calls).
/// State stays bounded: a thread keeps at most <see cref="MaxDepth"/> pending calls; an ENTER drops pending calls at
/// the same or a shallower stack (they can no longer be running); an EXIT drops those above its match (calls that
/// never came back, like NtCallbackReturn); non-returning calls are never recorded; at most
/// <see cref="MaxThreads"/> threads are tracked. Arguments of the ENTER are kept for the EXIT's OUT parameters.</summary>
public sealed class SyscallPairing
{
    public const int MaxDepth = 16;
    public const int MaxArgs = 17;
    public const int MaxThreads = 16384;

    private readonly Dictionary<ulong, ThreadCalls> _threads = [];
    private readonly Stack<ThreadCalls> _free = new();

    public int TrackedThreads => _threads.Count;

    /// <summary>Section views mapped by each process into itself (<see cref="SectionViews"/>): state shared by a guest's
    /// decoders like the pairing, and under the same lock.</summary>
    public SectionViews Views { get; } = new();

    public int PendingCalls => _threads.Values.Sum(t => t.Depth);

    public void Push(ulong thread, ulong userRsp, ulong number, ReadOnlySpan<ulong> args)
    {
        if (!_threads.TryGetValue(thread, out var calls))
        {
            if (_threads.Count >= MaxThreads) Clear();
            calls = _free.Count > 0 ? _free.Pop() : new ThreadCalls();
            _threads[thread] = calls;
        }
        calls.DropAtOrAbove(userRsp);
        calls.Push(userRsp, number, args);
    }

    /// <summary>Finds the innermost pending call of <paramref name="thread"/> at <paramref name="userRsp"/> (any, when
    /// the stack pointer is unknown: 0), copies its arguments and forgets it and everything nested above it.</summary>
    public bool TryPop(ulong thread, ulong userRsp, out ulong number, Span<ulong> args, out int argCount)
    {
        number = 0;
        argCount = 0;
        if (!_threads.TryGetValue(thread, out var calls)) return false;
        var ok = calls.TryPop(userRsp, out number, args, out argCount);
        if (calls.Depth == 0) Forget(thread, calls);
        return ok;
    }

    /// <summary>Forgets a thread (it is terminating itself).</summary>
    public void ForgetThread(ulong thread)
    {
        if (_threads.TryGetValue(thread, out var calls)) Forget(thread, calls);
    }

    public void Clear()
    {
        foreach (var c in _threads.Values) { c.Depth = 0; _free.Push(c); }
        _threads.Clear();
    }

    private void Forget(ulong thread, ThreadCalls calls)
    {
        _threads.Remove(thread);
        calls.Depth = 0;
        if (_free.Count < 1024) _free.Push(calls);
    }

    private sealed class ThreadCalls
    {
        private readonly ulong[] _rsp = new ulong[MaxDepth];
        private readonly ulong[] _number = new ulong[MaxDepth];
        private readonly int[] _argCount = new int[MaxDepth];
        private readonly ulong[] _args = new ulong[MaxDepth * MaxArgs];
        public int Depth;

        public void DropAtOrAbove(ulong rsp)
        {
            if (rsp == 0) return;
            // Entries deeper in the stack have smaller rsp; drop the innermost while they are not below the new one.
            while (Depth > 0 && _rsp[Depth - 1] != 0 && _rsp[Depth - 1] <= rsp) Depth--;
        }

        public void Push(ulong rsp, ulong number, ReadOnlySpan<ulong> args)
        {
            if (Depth == MaxDepth)
            {
                // Drop the oldest (outermost) entry: the bound matters more than a call we may never see return.
                Array.Copy(_rsp, 1, _rsp, 0, MaxDepth - 1);
                Array.Copy(_number, 1, _number, 0, MaxDepth - 1);
                Array.Copy(_argCount, 1, _argCount, 0, MaxDepth - 1);
                Array.Copy(_args, MaxArgs, _args, 0, (MaxDepth - 1) * MaxArgs);
                Depth--;
            }
            _rsp[Depth] = rsp;
            _number[Depth] = number;
            var n = Math.Min(args.Length, MaxArgs);
            _argCount[Depth] = n;
            args[..n].CopyTo(_args.AsSpan(Depth * MaxArgs, MaxArgs));
            Depth++;
        }

        public bool TryPop(ulong rsp, out ulong number, Span<ulong> args, out int argCount)
        {
            for (var i = Depth - 1; i >= 0; i--)
            {
                if (rsp != 0 && _rsp[i] != 0 && _rsp[i] != rsp) continue;
                number = _number[i];
                argCount = Math.Min(_argCount[i], args.Length);
                _args.AsSpan(i * MaxArgs, argCount).CopyTo(args);
                Depth = i;
                return true;
            }
            number = 0;
            argCount = 0;
            return false;
        }
    }
}
