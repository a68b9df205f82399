using Alkanet.Core.Records;

namespace Alkanet.Analysis.Events;

/// <summary>
/// Turns a stream of Alkanet records into call events: ENTER and EXIT pair per thread by <c>sys_no</c>,
/// innermost first (docs/RECORD.md "Pairing"). The ENTER's arguments are kept only for calls the
/// consumer cares about (<paramref name="keepArguments"/>), so memory is bounded by the number of threads
/// with a call in flight, not by the records. Calls that never return are delivered at end of input.
/// </summary>
public sealed class RecordPairer(ICallEventSink sink, Func<string, bool> keepArguments)
{
    private readonly Dictionary<(ulong Pid, ulong Tid), List<Pending>> _inFlight = [];
    private readonly CallEvent _event = new();
    private readonly AdditionalInfo _scratch = new();
    private readonly Stack<AdditionalInfo> _freeInfos = new();
    private readonly Stack<Pending> _freePending = new();
    // Per call name (pooled strings, so keyed by reference): keep the ENTER's arguments? never returns?
    private readonly Dictionary<string, (bool Keep, bool NoReturn)> _nameCache = new(ReferenceEqualityComparer.Instance);

    private (bool Keep, bool NoReturn) Traits(string name)
    {
        if (_nameCache.TryGetValue(name, out var t)) return t;
        if (_nameCache.Count >= 4096) _nameCache.Clear();
        return _nameCache[name] = (keepArguments(name), NoReturn.Contains(name));
    }

    /// <summary>Per-thread nesting deeper than this is a sign of lost EXITs; the oldest entries are dropped.</summary>
    private const int MaxDepth = 64;

    public long Records { get; private set; }

    public long UnpairedExits { get; private set; }

    private sealed class Pending
    {
        public long No;
        public ulong SysNo;
        public string Name = "";
        public string ProcName = "";
        public ulong? ParentPid;
        public long? ProcSeq;
        public long? TimestampNs;
        public AdditionalInfo? Info;
        public bool Delivered;
    }

    /// <summary>Calls that usually never return: delivered at their ENTER, so what follows in the log
    /// (a reused pid, say) is seen after them, not at the end of input.</summary>
    private static readonly HashSet<string> NoReturn = new(StringComparer.Ordinal)
    {
        "NtTerminateProcess", "NtTerminateThread", "NtContinue", "NtRaiseException", "exit", "exit_group",
    };

    public void Add(SyscallRecord r)
    {
        Records++;
        if (r.LogType == LogType.Loss)
        {
            var count = long.TryParse(r.AdditionalInfo[LossFields.Count], System.Globalization.CultureInfo.InvariantCulture, out var c) ? c : 1;
            sink.OnLoss(r.No, count);
            return;
        }
        var key = (r.Pid, r.Tid);
        if (r.LogType == LogType.Enter)
        {
            if (!_inFlight.TryGetValue(key, out var stack)) _inFlight[key] = stack = new List<Pending>(2);
            if (stack.Count >= MaxDepth)
            {
                if (!stack[0].Delivered) Deliver(r.Pid, r.Tid, stack[0], null);
                Release(stack[0]);
                stack.RemoveAt(0);
            }
            var p = _freePending.Count > 0 ? _freePending.Pop() : new Pending();
            p.No = r.No; p.SysNo = r.SysNo; p.Name = r.Name; p.ProcName = r.ProcName; p.ParentPid = r.ParentPid;
            p.ProcSeq = r.ProcSeq; p.TimestampNs = r.TimestampNs; p.Delivered = false;
            var traits = Traits(r.Name);
            if (traits.Keep && r.AdditionalInfo.Count > 0)
            {
                p.Info = _freeInfos.Count > 0 ? _freeInfos.Pop() : new AdditionalInfo();
                p.Info.CopyFrom(r.AdditionalInfo);
            }
            stack.Add(p);
            if (traits.NoReturn)
            {
                Deliver(r.Pid, r.Tid, p, null);
                p.Delivered = true;
            }
            return;
        }

        // EXIT: the innermost pending call of this thread with the same number.
        Pending? match = null;
        if (_inFlight.TryGetValue(key, out var s))
        {
            for (var i = s.Count - 1; i >= 0; i--)
            {
                if (s[i].SysNo != r.SysNo) continue;
                match = s[i];
                // Anything nested inside it that never returned (a lost EXIT) is delivered as ENTER-only.
                for (var j = s.Count - 1; j > i; j--) { if (!s[j].Delivered) Deliver(r.Pid, r.Tid, s[j], null); Release(s[j]); }
                s.RemoveRange(i, s.Count - i);
                break;
            }
        }
        if (match is null)
        {
            UnpairedExits++;
            FillFrom(r);
            _event.No = r.No;
            _event.ExitNo = r.No;
            _event.Info = r.AdditionalInfo;
            sink.OnEvent(_event);
            return;
        }
        if (!match.Delivered) Deliver(r.Pid, r.Tid, match, r);
        Release(match);
    }

    /// <summary>Delivers the calls still in flight (exit, exit_group, NtTerminateProcess of self...).</summary>
    public void Finish()
    {
        foreach (var ((pid, tid), stack) in _inFlight)
        {
            foreach (var p in stack.ToArray()) if (!p.Delivered) Deliver(pid, tid, p, null);
            stack.Clear();
        }
        _inFlight.Clear();
    }

    private void Deliver(ulong pid, ulong tid, Pending p, SyscallRecord? exit)
    {
        var e = _event;
        e.No = p.No;
        e.Pid = pid;
        e.Tid = tid;
        e.Name = p.Name;
        e.ProcName = exit?.ProcName ?? p.ProcName;
        e.ParentPid = exit?.ParentPid ?? p.ParentPid;
        e.ProcSeq = exit?.ProcSeq ?? p.ProcSeq;
        e.TimestampNs = p.TimestampNs ?? exit?.TimestampNs;
        e.IsForkChildReturn = false;
        if (exit is null)
        {
            e.ExitNo = -1;
            e.HasReturn = false;
            e.RetVal = 0;
            _scratch.Clear();
            if (p.Info is not null) _scratch.CopyFrom(p.Info);
            e.Info = _scratch;
        }
        else
        {
            e.ExitNo = exit.No;
            e.HasReturn = true;
            e.RetVal = exit.RetVal;
            if (p.Info is null)
            {
                e.Info = exit.AdditionalInfo;
            }
            else
            {
                _scratch.CopyFrom(p.Info);
                foreach (var kv in exit.AdditionalInfo) _scratch.Set(kv.Key, kv.Value);
                e.Info = _scratch;
            }
        }
        sink.OnEvent(e);
    }

    private void FillFrom(SyscallRecord r)
    {
        var e = _event;
        e.Pid = r.Pid;
        e.Tid = r.Tid;
        e.Name = r.Name;
        e.ProcName = r.ProcName;
        e.ParentPid = r.ParentPid;
        e.ProcSeq = r.ProcSeq;
        e.TimestampNs = r.TimestampNs;
        e.HasReturn = true;
        e.RetVal = r.RetVal;
        e.IsForkChildReturn = string.Equals(r.AdditionalInfo["unpaired"], "fork_child", StringComparison.Ordinal);
    }

    private void Release(Pending p)
    {
        if (p.Info is not null && _freeInfos.Count < 256)
        {
            p.Info.Clear();
            _freeInfos.Push(p.Info);
        }
        p.Info = null;
        if (_freePending.Count < 1024) _freePending.Push(p);
    }
}
