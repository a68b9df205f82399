using Alkanet.Core.Json;
using Alkanet.Core.Records;

namespace Alkanet.Vmm.Tests.Live;

/// <summary>Reads a run's trace.jsonl and finds records by process and call.</summary>
public sealed class Trace
{
    public List<SyscallRecord> Records { get; } = [];

    public static Trace Load(string path)
    {
        var t = new Trace();
        using var reader = JsonLinesReader.Open(path);
        var r = new SyscallRecord();
        while (reader.TryRead(r)) t.Records.Add(r.Clone());
        return t;
    }

    public IEnumerable<SyscallRecord> Enters(string name) => Records.Where(r => r.IsEnter && r.Name == name);

    /// <summary>The ENTER of <paramref name="name"/> by a process named <paramref name="proc"/> whose info has every pair.</summary>
    public SyscallRecord Find(string proc, string name, params (string Key, string Value)[] info)
    {
        var hit = Enters(name).FirstOrDefault(r => r.ProcName == proc && info.All(kv => r.AdditionalInfo[kv.Key] == kv.Value));
        hit.ShouldNotBeNull($"no ENTER {name} by '{proc}' with {string.Join(", ", info.Select(kv => kv.Key + "=" + kv.Value))}; " +
            $"{name} ENTERs seen: {string.Join(" | ", Enters(name).Take(8).Select(r => r.ProcName + " " + string.Join(",", r.AdditionalInfo.Select(kv => kv.Key + "=" + kv.Value.Text))))}");
        return hit;
    }

    /// <summary>The EXIT that pairs with <paramref name="enter"/> (same thread, same call, next one).</summary>
    public SyscallRecord? ExitOf(SyscallRecord enter) =>
        Records.FirstOrDefault(r => r.IsExit && r.No > enter.No && r.Tid == enter.Tid && r.Pid == enter.Pid && r.SysNo == enter.SysNo);

    /// <summary>Every number from 0 to the last is covered once (LOSS markers cover ranges).</summary>
    public void ShouldBeGapFree()
    {
        long next = 0;
        foreach (var r in Records)
        {
            r.No.ShouldBe(next, $"record numbering jumps at {r}");
            next = r.LastCoveredNo + 1;
        }
    }
}
