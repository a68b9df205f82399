using System.Text;
using Alkanet.Core.Json;
using Alkanet.Core.Logs;
using Alkanet.Core.Records;

namespace Alkanet.Core.Tests;

public class LogValidatorTests
{
    private static SyscallRecord Rec(long no, LogType type, ulong tid = 1, ulong sysNo = 0x55, string name = "NtCreateFile")
        => new() { No = no, LogType = type, Pid = 0x10, Tid = tid, ProcName = "p", Name = name, SysNo = sysNo };

    private static LogValidator Validate(params SyscallRecord[] records)
    {
        var v = new LogValidator("t");
        var line = 1;
        foreach (var r in records) v.Add(r, line++, 0);
        v.Complete();
        return v;
    }

    [Fact]
    public void A_clean_paired_log_is_valid()
    {
        var v = Validate(Rec(1, LogType.Enter), Rec(2, LogType.Enter, tid: 2), Rec(3, LogType.Exit), Rec(4, LogType.Exit, tid: 2));
        v.IsValid.ShouldBeTrue();
        v.Problems.ShouldBeEmpty();
    }

    [Fact]
    public void A_gap_is_found_with_its_range()
    {
        var v = Validate(Rec(1, LogType.Enter), Rec(2, LogType.Exit), Rec(6, LogType.Enter));
        v.IsValid.ShouldBeFalse();
        var p = v.Problems.Single();
        p.Kind.ShouldBe(LogProblemKind.Gap);
        p.Line.ShouldBe(3);
        p.Message.ShouldContain("3..5");
        v.MissingNumbers.ShouldBe(3);
    }

    [Fact]
    public void A_duplicate_number_is_found()
    {
        var v = Validate(Rec(1, LogType.Enter), Rec(2, LogType.Exit), Rec(2, LogType.Exit));
        v.Problems.Select(p => p.Kind).ShouldContain(LogProblemKind.Duplicate);
    }

    [Fact]
    public void A_late_record_filling_a_gap_is_out_of_order_not_duplicate()
    {
        var v = Validate(Rec(1, LogType.Enter), Rec(3, LogType.Enter, tid: 3), Rec(2, LogType.Exit));
        v.Problems.Select(p => p.Kind).ShouldBe([LogProblemKind.Gap, LogProblemKind.OutOfOrder]);
        v.MissingNumbers.ShouldBe(0);
    }

    [Fact]
    public void An_exit_without_enter_is_found()
    {
        var v = Validate(Rec(1, LogType.Enter), Rec(2, LogType.Exit, tid: 9));
        v.Problems.Single().Kind.ShouldBe(LogProblemKind.ExitWithoutEnter);
    }

    [Fact]
    public void An_exit_the_tracer_marked_unpaired_is_accepted()
    {
        var fork = Rec(1, LogType.Exit, tid: 5, sysNo: 0x38, name: "clone");
        fork.AdditionalInfo.Set("unpaired", "fork_child");
        var v = Validate(fork);
        v.IsValid.ShouldBeTrue();
        v.UnpairedByTracer.ShouldBe(1);
    }

    [Fact]
    public void Nested_calls_pair_innermost_first_and_non_returning_calls_do_not_break_pairing()
    {
        var v = Validate(
            Rec(1, LogType.Enter, sysNo: 0x1000, name: "NtUserCall"),
            Rec(2, LogType.Enter, sysNo: 0x43, name: "NtContinue"), // never returns
            Rec(3, LogType.Enter, sysNo: 0x55),
            Rec(4, LogType.Exit, sysNo: 0x55),
            Rec(5, LogType.Exit, sysNo: 0x1000, name: "NtUserCall"));
        v.IsValid.ShouldBeTrue();
        v.UnreturnedEnters.ShouldBe(1);
    }

    [Fact]
    public void A_loss_marker_covers_its_range_and_is_reported_but_not_an_error()
    {
        var v = Validate(Rec(1, LogType.Enter), SyscallRecord.LossMarker(2, 10, "ring full"), Rec(11, LogType.Exit));
        v.IsValid.ShouldBeTrue();
        v.LostRecords.ShouldBe(9);
        v.Problems.Single().Kind.ShouldBe(LogProblemKind.Loss);
    }

    [Fact]
    public void Validating_a_file_reports_malformed_lines_with_their_line_numbers()
    {
        using var dir = new TempDir();
        var path = dir.File("bad.jsonl");
        var good = (long n, LogType t) => RecordJson.Serialize(Rec(n, t));
        File.WriteAllText(path, string.Join('\n', good(1, LogType.Enter), "{not json", good(2, LogType.Exit)) + "\n", Encoding.UTF8);
        var v = LogValidator.ValidateFile(path);
        v.IsValid.ShouldBeFalse();
        var p = v.Problems.Single();
        p.Kind.ShouldBe(LogProblemKind.Malformed);
        p.Line.ShouldBe(2);
        v.Records.ShouldBe(2);
    }

    [Fact]
    public void Statistics_count_calls_processes_and_losses()
    {
        var s = new LogStatistics();
        foreach (var r in new[] { Rec(1, LogType.Enter), Rec(2, LogType.Exit), Rec(3, LogType.Enter, tid: 2, sysNo: 0x12, name: "NtClose") })
            s.Add(r);
        s.Add(SyscallRecord.LossMarker(4, 5, "x"));
        s.Records.ShouldBe(4);
        s.Calls["NtCreateFile"].Total.ShouldBe(2);
        s.Calls["NtClose"].Enters.ShouldBe(1);
        s.Processes.Single().Threads.Count.ShouldBe(2);
        s.LostRecords.ShouldBe(2);
        s.LastNo.ShouldBe(5);
    }
}
