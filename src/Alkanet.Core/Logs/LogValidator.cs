using Alkanet.Core.Json;
using Alkanet.Core.Records;

namespace Alkanet.Core.Logs;

/// <summary>
/// Checks one run's log: gap-free, duplicate-free <c>no</c>; ENTER/EXIT pairing per thread; field types
/// (through the reader). Feed records in file order with <see cref="Add"/>, then <see cref="Complete"/>.
/// Memory is bounded by threads and open gaps, not by records.
/// </summary>
public sealed class LogValidator(string source, int maxProblems = 1000)
{
    /// <summary>A thread's pending ENTERs are kept to this depth; deeper nesting drops the oldest.</summary>
    private const int MaxPendingPerThread = 64;

    private const int MaxOpenGaps = 4096;

    private readonly Dictionary<(ulong Pid, ulong Tid), List<ulong>> _pending = [];
    private readonly List<(long From, long To)> _openGaps = [];
    private long _expected = long.MinValue;

    public string Source { get; } = source;
    public List<LogProblem> Problems { get; } = [];
    public long ProblemCount { get; private set; }
    public long ErrorCount { get; private set; }
    public long Records { get; private set; }
    public long MissingNumbers { get; private set; }
    public long LostRecords { get; private set; }

    /// <summary>ENTERs never matched by an EXIT: normal for calls that do not return or were still running at the end.</summary>
    public long UnreturnedEnters { get; private set; }

    public long UnpairedByTracer { get; private set; }

    public bool IsValid => ErrorCount == 0;

    public void AddMalformed(LogFormatError error) =>
        Report(new LogProblem(LogProblemKind.Malformed, error.Source, error.Line, error.ByteOffset, null, error.Reason));

    public void Add(SyscallRecord r, long line, long offset)
    {
        Records++;
        CheckSequence(r, line, offset);
        if (r.LogType == LogType.Loss)
        {
            var count = r.LastCoveredNo - r.No + 1;
            LostRecords += count;
            Report(new LogProblem(LogProblemKind.Loss, Source, line, offset, r.No,
                $"{count} record(s) lost (no {r.No}..{r.LastCoveredNo}): {r.AdditionalInfo[LossFields.Reason] ?? "no reason given"}"));
            return;
        }
        CheckPairing(r, line, offset);
    }

    private void CheckSequence(SyscallRecord r, long line, long offset)
    {
        var last = r.LastCoveredNo;
        if (_expected == long.MinValue)
        {
            _expected = last + 1;
            return;
        }
        if (r.No == _expected)
        {
            _expected = last + 1;
            return;
        }
        if (r.No > _expected)
        {
            var missing = r.No - _expected;
            MissingNumbers += missing;
            if (_openGaps.Count < MaxOpenGaps) _openGaps.Add((_expected, r.No - 1));
            Report(new LogProblem(LogProblemKind.Gap, Source, line, offset, r.No,
                missing == 1 ? $"no {_expected} is missing (next is {r.No})" : $"no {_expected}..{r.No - 1} are missing ({missing} records)"));
            _expected = last + 1;
            return;
        }
        // r.No < _expected: it either fills an earlier gap (reordered) or repeats a number.
        for (var i = 0; i < _openGaps.Count; i++)
        {
            var (from, to) = _openGaps[i];
            if (r.No < from || r.No > to) continue;
            _openGaps.RemoveAt(i);
            if (from < r.No) _openGaps.Add((from, r.No - 1));
            if (r.No < to) _openGaps.Add((r.No + 1, to));
            MissingNumbers--;
            Report(new LogProblem(LogProblemKind.OutOfOrder, Source, line, offset, r.No,
                $"no {r.No} arrives after no {_expected - 1} (out of order)"));
            return;
        }
        Report(new LogProblem(LogProblemKind.Duplicate, Source, line, offset, r.No, $"duplicate no {r.No}"));
    }

    private void CheckPairing(SyscallRecord r, long line, long offset)
    {
        var key = (r.Pid, r.Tid);
        if (r.LogType == LogType.Enter)
        {
            if (!_pending.TryGetValue(key, out var stack))
            {
                stack = new List<ulong>(4);
                _pending.Add(key, stack);
            }
            if (stack.Count == MaxPendingPerThread)
            {
                stack.RemoveAt(0);
                UnreturnedEnters++;
            }
            stack.Add(r.SysNo);
            return;
        }

        if (_pending.TryGetValue(key, out var pending))
        {
            for (var i = pending.Count - 1; i >= 0; i--)
            {
                if (pending[i] != r.SysNo) continue;
                // Calls above the match never returned (NtContinue, exit, a callback that unwound): not an error.
                UnreturnedEnters += pending.Count - 1 - i;
                pending.RemoveRange(i, pending.Count - i);
                return;
            }
        }
        if (r.AdditionalInfo.TryGet("unpaired", out _))
        {
            UnpairedByTracer++;
            return;
        }
        Report(new LogProblem(LogProblemKind.ExitWithoutEnter, Source, line, offset, r.No,
            $"EXIT of {r.Name} (sys_no {r.SysNo:x}) on thread {r.Pid:x}/{r.Tid:x} has no ENTER"));
    }

    /// <summary>Counts the ENTERs still open at the end of the log.</summary>
    public void Complete()
    {
        foreach (var stack in _pending.Values) UnreturnedEnters += stack.Count;
        _pending.Clear();
    }

    private void Report(LogProblem problem)
    {
        ProblemCount++;
        if (problem.IsError) ErrorCount++;
        if (Problems.Count < maxProblems) Problems.Add(problem);
    }

    /// <summary>Validates a whole file: malformed records are problems, not exceptions.</summary>
    public static LogValidator ValidateFile(string path, int maxProblems = 1000)
    {
        var validator = new LogValidator(path, maxProblems);
        using var reader = JsonLinesReader.Open(path, new RecordReaderOptions { SkipBad = true, OnSkipped = validator.AddMalformed });
        var r = new SyscallRecord();
        while (reader.TryRead(r)) validator.Add(r, reader.RecordLine, reader.RecordOffset);
        validator.Complete();
        // nothing to validate is not "valid": an empty file (or a .gz of blank lines) is a failed capture, not a clean run
        if (validator.Records == 0 && validator.ErrorCount == 0)
            validator.AddMalformed(new LogFormatError(path, 0, reader.BytesConsumed, "no records: the input is empty or holds only blank lines"));
        return validator;
    }
}
