using Alkanet.Analysis.Events;

namespace Alkanet.Analysis.Model;

/// <summary>The calls and facts that only the injection catalogue (<see cref="InjectionCatalogue"/>) needs.</summary>
public sealed partial class Analyzer
{
    private readonly Dictionary<(int Source, int Target), long> _dllPathWrites = [];

    /// <summary>The first record (if any) at which the source wrote a DLL's path into the target: the argument a remote
    /// LoadLibrary thread reads (T1055.001), told apart from code written for the thread to run (T1055.002).</summary>
    public long? DllPathWritten(int source, int target) =>
        _dllPathWrites.TryGetValue((source, target), out var no) ? no : null;

    private void NoteWrittenData(ProcessNode p, ProcessNode? target, CallEvent e)
    {
        if (target is null || target == p || WrittenText(e) is not { Length: > 4 } data) return;
        var text = data.Replace("\\x00", "", StringComparison.Ordinal).TrimEnd('\0', ' ');
        if (text.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)) _dllPathWrites.TryAdd((p.Seq, target.Seq), e.No);
    }

    /// <summary>What a memory write put in the target, as text: an importer's <c>buffer</c> (CAPE's escaped text), or the
    /// tracer's captured <c>data</c> (base64) read as UTF-16 when it looks like it (a wide DLL path), else as Latin-1.</summary>
    private static string? WrittenText(CallEvent e)
    {
        if (e["buffer"] is { } buffer) return buffer;
        if (e["data"] is not { Length: > 4 } data) return null;
        byte[] bytes;
        try { bytes = Convert.FromBase64String(data); }
        catch (FormatException) { return data; } // another tool's text
        var wide = bytes.Length >= 4 && bytes[1] == 0 && bytes[3] == 0;
        return wide ? System.Text.Encoding.Unicode.GetString(bytes, 0, bytes.Length & ~1) : System.Text.Encoding.Latin1.GetString(bytes);
    }

    /// <summary>Suspending a thread of another process: the first step of thread execution hijacking.</summary>
    private static void WinSuspendThread(Analyzer a, CallEvent e, ProcessNode p)
    {
        if (e.Failed) return;
        var (owner, tid) = a.TargetThread(e, p);
        a.Spread(SpreadKinds.ThreadSuspend, p, e, owner, tid);
    }
}
