namespace Alkanet.Analysis.Model;

/// <summary>One step of an injection technique and the records that prove it (empty when an optional step was not seen).</summary>
public sealed record InjectionStep(string Step, IReadOnlyList<long> Records, bool Optional);

/// <summary>One technique seen from a source process to a target process, with every step's records.</summary>
public sealed record InjectionMatch(int SourceSeq, int TargetSeq, string Technique, string Attack, IReadOnlyList<InjectionStep> Steps)
{
    /// <summary>Every record that proves the match, in order.</summary>
    public IEnumerable<long> Records => Steps.SelectMany(s => s.Records).Distinct().Order();
}

/// <summary>
/// The catalogue of process-injection techniques, told from the cross-process operations (spread edges) of one source →
/// target pair and the target's creation, whatever the log came from (Alkanet's own records, CAPE or DRAKVUF imports).
/// Each technique names its ATT&amp;CK sub-technique and lists its steps in the order the technique performs them:
/// remote-thread DLL injection (T1055.001), PE injection (.002), thread execution hijacking (.003), APC injection and early
/// bird (.004), process hollowing (.012), section-mapping injection (T1055: ATT&amp;CK has no sub-technique for it), and on
/// Linux ptrace (.008), /proc/PID/mem (.009) and process_vm_writev (T1055). A pair may show several techniques.
/// </summary>
public static class InjectionCatalogue
{
    private const int RecordsPerStep = 8;

    public static List<InjectionMatch> Classify(Analyzer a, IReadOnlyDictionary<(int Source, int Target), List<SpreadEdge>> pairs)
    {
        var found = new List<InjectionMatch>();
        foreach (var ((src, dst), edges) in pairs.OrderBy(p => p.Key))
            found.AddRange(ClassifyPair(a, src, dst, edges));
        return found;
    }

    public static IEnumerable<InjectionMatch> ClassifyPair(Analyzer a, int src, int dst, IReadOnlyList<SpreadEdge> edges)
    {
        var target = a.Node(dst);
        var suspendedChild = target.CreatedSuspended && target.ParentSeq == src && target.ParentSource == ParentSource.Creation
            && target.CreatedNo is not null;
        long[] created = suspendedChild ? [target.CreatedNo!.Value] : [];
        var written = Of(edges, SpreadKinds.MemoryWrite, SpreadKinds.SectionMap);
        var mapped = Of(edges, SpreadKinds.SectionMap);
        var writes = Of(edges, SpreadKinds.MemoryWrite);
        var apc = Of(edges, SpreadKinds.ApcQueue);
        var context = Of(edges, SpreadKinds.ContextSet);
        var resumed = Of(edges, SpreadKinds.ThreadResume);
        var thread = Of(edges, SpreadKinds.ThreadCreate);
        var after = written.Count > 0 ? written[0] : long.MaxValue;

        // Early bird: an APC queued to the suspended first thread of a new child, run when the child is resumed.
        if (apc.Count > 0 && written.Count > 0)
        {
            if (suspendedChild)
                yield return Match(src, dst, "early bird APC injection", "T1055.004",
                    Step("created suspended", created), Step("written", written), Step("APC queued", After(apc, after)),
                    Step("resumed", After(resumed, after), optional: true));
            else
                yield return Match(src, dst, "APC injection", "T1055.004", Step("written", written), Step("APC queued", After(apc, after)));
        }
        // Hollowing: a suspended child whose image is replaced (unmapped, written or mapped) and whose thread is then
        // redirected (context set) and resumed. CAPE's real droppers often skip the unmap and the context (they patch the
        // entry point), so those two steps are optional; the suspended creation, the write and the resume are not.
        if (suspendedChild && written.Count > 0 && (After(resumed, after).Count > 0 || After(context, after).Count > 0) && apc.Count == 0)
            yield return Match(src, dst, "process hollowing", "T1055.012",
                Step("created suspended", created), Step("unmapped", Of(edges, SpreadKinds.SectionUnmap), optional: true),
                Step("written", written), Step("context set", After(context, after), optional: true),
                Step("resumed", After(resumed, after), optional: context.Count > 0));
        // Thread execution hijacking: an existing thread of another process is suspended, redirected and resumed.
        if (!suspendedChild && context.Count > 0 && written.Count > 0)
            yield return Match(src, dst, "thread execution hijacking", "T1055.003",
                Step("suspended", Of(edges, SpreadKinds.ThreadSuspend), optional: true), Step("written", written),
                Step("context set", context), Step("resumed", resumed, optional: true));
        // A remote thread runs what was placed in the target: a DLL's path for LoadLibrary, code, or a mapped section.
        if (thread.Count > 0 && written.Count > 0)
        {
            var dll = a.DllPathWritten(src, dst);
            if (dll is { } path)
                yield return Match(src, dst, "DLL injection by remote thread", "T1055.001",
                    Step("DLL path written", [path]), Step("remote thread", thread));
            else if (writes.Count > 0)
                yield return Match(src, dst, "PE injection by remote thread", "T1055.002",
                    Step("allocated", Of(edges, SpreadKinds.MemoryAlloc), optional: true), Step("written", writes),
                    Step("remote thread", thread));
        }
        // Section mapping: a section mapped into the target and run there, without a write (else PE injection above).
        if (mapped.Count > 0 && writes.Count == 0 && !suspendedChild && (thread.Count > 0 || apc.Count > 0 || context.Count > 0))
            yield return Match(src, dst, "section-mapping injection", "T1055",
                Step("section mapped", mapped), Step("run", [.. thread.Concat(apc).Concat(context).Order().Take(RecordsPerStep)]));
        // Linux.
        var poke = Of(edges, SpreadKinds.PtracePoke);
        var regs = Of(edges, SpreadKinds.PtraceSetRegs);
        if (poke.Count > 0 || regs.Count > 0)
            yield return Match(src, dst, "ptrace injection", "T1055.008",
                Step("attached", Of(edges, SpreadKinds.PtraceAttach), optional: true), Step("written", poke, optional: regs.Count > 0),
                Step("registers set", regs, optional: poke.Count > 0));
        if (Of(edges, SpreadKinds.ProcMemWrite) is { Count: > 0 } procMem)
            yield return Match(src, dst, "/proc/PID/mem injection", "T1055.009", Step("written through /proc/PID/mem", procMem));
        if (Of(edges, SpreadKinds.VmWrite) is { Count: > 0 } vm)
            yield return Match(src, dst, "process_vm_writev injection", "T1055", Step("written by process_vm_writev", vm));
    }

    private static InjectionMatch Match(int src, int dst, string technique, string attack, params InjectionStep[] steps) =>
        new(src, dst, technique, attack, steps);

    private static InjectionStep Step(string name, IReadOnlyList<long> records, bool optional = false) =>
        new(name, [.. records.Take(RecordsPerStep)], optional);

    private static List<long> Of(IReadOnlyList<SpreadEdge> edges, params string[] kinds) =>
        [.. edges.Where(e => kinds.Contains(e.Kind)).SelectMany(e => e.Records).Order()];

    private static List<long> After(List<long> records, long after) => [.. records.Where(r => r > after)];
}
